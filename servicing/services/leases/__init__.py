"""Financing leases (融资租赁) serviced as loans of their contract type: the asset register, rent
VAT and its invoices, end of term. The VAT rules are in `vat.py` (pure, shared by the nightly
invoicing, the customer's schedule and the reports); see docs/decisions/0014-leases.md."""
