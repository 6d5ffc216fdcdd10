"""E-contracts, one module per use case: price an approved application and name its payees
(``pricing``), issue the contract (``issue``, the PDF in ``pdf``), edit a draft's terms or amend
the deal into a new version (``amendment``), the customer's online signature with an SMS
one-time code (``signing``), and ``application_mark_funded`` for servicing (``funding``).

A contract's terms never change once issued. ``contract_terms_edit`` refuses a signed (or
issued) contract; ``contract_amend`` changes the deal and issues a new version.
"""
