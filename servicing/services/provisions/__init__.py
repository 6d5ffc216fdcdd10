"""Expected credit loss (减值准备): the month-end provision run computed set-based
(`compute.provision_run_compute`), its posting to the ledger (`post.provision_run_post`), the
parameters it reads from business policy (`parameters`) and its four-eyes action (`approval`).
The formulas: docs/decisions/0012-expected-credit-loss.md."""
