"""Multi-payee disbursement (放款), one module per step: prepare (maker, `create`) → approve /
release (checker; two checkers above the threshold, `approve`) → pay each payee through the
payment gateway (`send`), the bank's answer (`settle`) → fund the loan (`fund`). `states` holds
the states, the locks and the error every step shares.

States. A disbursement is prepared → (awaiting_second) → released → funded. Each payment
instruction follows its current attempt: pending → sending → sent → succeeded | failed, or
unknown after a timeout. A send is idempotent by its attempt's key (the bank dedupes), so
anything whose fate is unknown (sending, unknown, a lost task) is settled by asking the bank
`status(key)` and, if the bank never saw it, sending again under the SAME key. A NEW key (a new
attempt) is made only by an operator's retry of an instruction the bank confirmed failed; the
database allows one non-failed attempt per instruction. So an instruction is never paid twice.

Locks: the disbursement row, then its instructions by pk, then the attempt. The send step locks
only the instruction and its attempt and holds no lock while the bank is called.

Accounting (every entry balanced, posted with journal_post, source "disbursement"):
* each successful payment: Dr the payee's payable (dealer_payable, insurer_payable, tax_payable,
  warranty_payable, accessory_payable, gps_payable) / Cr bank_clearing - money left our bank;
  until funding, the payable carries that debit (an advance to the payee);
* funding (all instructions succeeded), tagged with the new loan: Dr principal_receivable
  amount financed / Cr each payee's payable its amount (and Cr fee_income for a financed fee
  the lender keeps, kind "lender", which never leaves the bank).
Once funded, each payable nets to zero for the disbursement, bank_clearing is credited with
exactly what was paid, the loan's own lines balance (Dr principal = Σ Cr), and the trial
balance stays zero throughout.

Funding (one transaction, idempotent): loan_create from the contract's snapshotted plain
values, the funding entry, origination's application_mark_funded, the dealer's
commission_accrue, and notifications to the customer and the dealer.
"""
