"""The payment gateway adapter disbursements pay through, and the sandbox bank behind it: the
protocol and its errors (`interface`), the production adapter (`http_bank`), the sandbox
(`sandbox_bank`) and the statement file both write (`statement`). Outside the services' import
graph: the services import it, never the other way.

PaymentGateway (the protocol the services use; the real bank's adapter is configured by
settings.PAYMENT_GATEWAY, a dotted path, default the sandbox):

    send(idempotency_key, amount, account_number, account_name, bank_name, reference,
         requested_date) -> BankResult(status="accepted", bank_ref)
        The bank accepts the payment; its outcome (succeeded / failed) comes later by a
        callback. The bank dedupes by key: a second send with the same key returns the first
        result and never pays twice (a different amount under a used key is refused).
        Raises GatewayTimeout when no answer came (the payment may or may not exist: ask
        `status` before anything else), GatewayRejected when the bank refused the request.
    send_batch(payments=[{the keyword arguments of send}, ...]) -> [BankResult, ...]
        Several payments in ONE call (one round trip), each under its own key and deduped by
        it exactly as `send` is; one answer per payment, in the order given: "accepted"
        (bank_ref), "rejected" (reason; that payment refused, nothing paid) or "unknown" (no
        answer for that payment: its fate is unknown, ask `status` by key before anything
        else). GatewayTimeout when no answer came at all (every payment unknown),
        GatewayRejected when the bank refused the whole request (nothing paid). The bank calls
        back once for the batch with {"results": [one callback payload per payment]} (a
        payment resent on its own later calls back on its own).
    status(idempotency_key) -> BankResult(status="succeeded" | "failed" | "not_found", ...)
    callback_verify(method, path, headers, body) -> dict   the callback's JSON if genuine (signed
        with the bank's own secret, BANK_SECRET; docs/integrations.md), else CallbackRejected
    statement_write(statement_date) -> Path           the day's statement file (CSV)

The bank calls back (POST /api/v1/loans/bank/callback/; `bank_callback_verify(request)` checks
it) and `servicing.services.disbursement.settle.bank_callback_receive(payload)` records
{"idempotency_key", "status": "succeeded" | "failed", "bank_ref", "amount", "reason"}; a
callback may arrive more than once, and before or after our send is recorded.

HttpBankGateway: the production adapter (signed JSON over HTTP to BANK_URL).

SandboxBank: a bank simulator with its own table (`SandboxBankPayment`) written on its OWN
database connection in autocommit, so - like a remote bank - what it did survives our
rollbacks and our worker crashes. Deterministic by the last four digits of the account number:

    ...0001  the payment fails (callback "failed": 收款账户已销户)
    ...0002  the bank pays, but the first answer to the first send is lost (GatewayTimeout);
             status(key) says succeeded; a resend with the same key returns the stored result
    ...0003  the first send is lost before the bank sees it (GatewayTimeout); status(key) says
             not_found; a resend with the same key is paid normally
    ...0004  paid, and the success callback is delivered twice
    others   paid (callback "succeeded")

Like a remote bank when asked (settings, off by default): SANDBOX_BANK_LATENCY_MS per send,
batch and status call, and SANDBOX_BANK_TIMEOUT_RATE of first sends timing out, half after the
bank paid and half before it saw the request, by the key's hash (`SandboxBank.timeout_for`); in
a batch the same rule per payment (that payment's answer is "unknown", the others are answered).

Callbacks are delivered by the Celery task `servicing.bank_callback_deliver` (a batch's by
`servicing.bank_callbacks_deliver`, one signed callback carrying its results) (settings
SANDBOX_BANK_CALLBACKS = "celery", the default) or, with "manual" (tests, demos), when
`SandboxBank().callbacks_deliver(keys=...)` is called.
"""
