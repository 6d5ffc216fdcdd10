"""Early settlement (提前结清, `early`), partial prepayment (部分提前还款, `prepayment`) and
restructuring (展期 / 重组, `restructure`).

All three price with the pricing engine and write a new schedule version: the unpaid rows of the
version in force are kept, marked `superseded_by_version`, and the new rows carry the new version.

* Early settlement: `payoff_quote_issue` records a quote (outstanding principal + interest accrued
  since the last due date + the product's early-settlement fee; refused inside the lock-in) valid
  until its date; a payment of the quote's total (purpose "payoff") settles the loan: the period's
  posted interest is trued up to the quoted interest, the fee is posted as due, one settlement row
  replaces the unpaid rows and is paid, the loan becomes `settled_early` and a mortgage release is
  requested. A payment that does not meet the quote (too little, too late, arrears) is posted as
  an ordinary repayment instead: money received is never refused.
* Partial prepayment: the prepaid principal plus the early-settlement fee on it; the unpaid rows
  are re-amortised by `partial_prepayment` (shorten_term or lower_instalment, the customer's
  choice). As in the pricing engine, the prepayment takes effect from the last paid due date.
* Restructure: everything owed besides principal (interest, fees, penalty receivable) is
  capitalised into principal, and a new schedule is priced from the restructure date.
"""
