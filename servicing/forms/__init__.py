"""servicing's HTML forms: `loans` (the customer's and the agent's loan pages, each posting form
with its one-time token), `disbursement` (the finance pages)."""
