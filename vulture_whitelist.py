"""Names vulture cannot see used (autofin/dev/codebase.py). Keep it short: each line says who
calls the name. Django entry points by convention are in codebase.ENTRY_POINTS."""

# Admin actions: ModelAdmin.actions lists them as strings.
publish  # origination/admin/products.py ProductAdmin.actions
open_draft  # origination/admin/products.py ProductAdmin.actions
activate  # risk/admin.py RuleSetAdmin.actions
clone  # risk/admin.py RuleSetAdmin.actions
reversed_by_link  # servicing/admin/ledger.py JournalEntryAdmin.readonly_fields

# --- svc-money
sandbox_bank_close_thread_connection  # tests' racing threads (tests/servicing/loan_factory.py)

# --- replica
db_for_read  # Django database router protocol (autofin/db_router.py, DATABASE_ROUTERS)
allow_relation  # Django database router protocol (autofin/db_router.py, DATABASE_ROUTERS)
allow_migrate  # Django database router protocol (autofin/db_router.py, DATABASE_ROUTERS)
# --- rec
repurchase_events  # the credit-reporting feed reads loans closed as repurchased (issue 18 / 19)
# --- tele
SandboxGpsProvider  # the sandbox GPS provider: tests push signed events with it (docs/telematics.md)
# --- marketing (issue 21)
SegmentMember  # servicing/services/marketing/segments.py writes and reads it in SQL (INSERT … SELECT)
# --- repay (issue 22)
statements_run  # tests reading captured queries: an EXECUTE as its prepared SQL (servicing/services/hotpath.py)
