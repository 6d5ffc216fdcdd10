"""The underwriting workbench's use cases, one module per use case: claim and release a
referred application (``claims``), approve it with conditions (``approval``), counter-offer
(priced by the quote service; the customer accepts or rejects: ``counter_offers``), request
more documents and take the case back when they arrive (``documents``), decline (``decline``).

The rules are enforced here, not in the views (``authority``):
- only underwriters act, and only on a case they have claimed;
- conflict of interest: nobody decides (or claims) an application they created or sold, or one
  from a dealer they are the account manager of;
- authority: an approval (or counter-offer) above the role's limit (``AuthorityLimit``, default
  ¥200,000 for underwriters, none for senior underwriters) is refused.

Every action writes audit rows (the transition's, and the claim's and release's own).
"""
