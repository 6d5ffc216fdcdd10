"""E-contracts, one module per use case: price an approved application and name its payees
(``pricing``), issue the contract (``issue``, the PDF in ``pdf``), the customer's online
signature with an SMS one-time code (``signing``), and ``application_mark_funded`` for
servicing (``funding``).

A contract's terms never change once issued: a new deal is a new version, the old one
superseded (``contract_issue``), and a signed contract is never replaced.
"""
