"""The loans API (/api/v1/loans/), one module per resource: `loans` (read loans and schedules,
payoff quotes), `repayments` (manual postings and the checker's decisions), `reversals`,
`payments` (online payments and the provider's callback), `bank` (the bank's disbursement
callback); `serializers` and `common` serve them, `urls` routes them. Every posting endpoint goes through
`autofin.idempotency.idempotent`: an `Idempotency-Key` header is required (400 without), the same
key with another body gets 422, a duplicate still in flight 409, a replay the original response;
the services' unique keys back it in the database. Who may move money is
`autofin.roles.can_move_money`, the check the pages make too. The payment provider's callback is
idempotent by its reference, authenticated by its signature (signed with the provider's own
secret, docs/integrations.md) and checked against the order."""
