"""Origination's HTML pages, one module per page group: the calculator, the product pages,
sign-up, the application steps (shared by customers and the dealer portal), the customer's
applications, consents and personal data, the dealer portal, the underwriting workbench, the
customer's contract pages and the back office's turnaround report."""
