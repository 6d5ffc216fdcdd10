"""Origination's forms, one module per page group: the calculator, the application steps, the
underwriting workbench and contract signing."""
