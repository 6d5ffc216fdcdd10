"""servicing's HTML pages, one module per page group: `customer` (my loans, pay now, statements,
contact details), `payoff` (early settlement, prepayment), `sandbox` (the sandbox provider's
cashier), `loans` (the agent's search and loan page), `repayments` (the agent's postings and
the checker's decisions), `disbursement` (finance), `eod` (the nightly batch and the portfolio
curves), `collections` (the collectors' queue and case). Routed by servicing/urls.py. Thin:
forms validate, services decide."""
