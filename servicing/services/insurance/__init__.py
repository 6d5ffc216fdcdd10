"""Insurance policies on financed cars, their renewals and the lender's agency commission
(docs/insurance.md)."""
