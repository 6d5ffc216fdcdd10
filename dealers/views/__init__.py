"""HTML pages of the dealers app, one module per use case: access rules and the portal's frame
(``access``), the portal's overview (``overview``), staff (``staff``), commission statements
(``statements``), KPI charts (``kpis``) and the account managers' pages (``manager``)."""
