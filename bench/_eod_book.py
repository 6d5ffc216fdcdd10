"""The realistic book of bench/eod.py (`--book realistic`, issue #22): templates funded through
the real services, their months of nights, and their set-based copies.

Templates: REAL_TEMPLATES, each made by the tests' loan factory (product, application, signed
contract, maker-checker disbursement through the sandbox bank) on the value date `--history-
months` before the bench's day (six by default: 2025-09-16), so an instalment falls due on the
measured night. Every night from then on runs the batch's own accrual, due, lease invoicing and
delinquency chunks on them; each instalment is paid on its due date through `repayment_post` as
its history says; the restructured template is restructured by the real service (maker-checker)
ten days after its second instalment went unpaid.

Copies (`clones_make`): the loan row, its schedule rows (superseded versions included), its
delinquency row, its lease asset, its OEM subsidy and periods, its lease rent invoices and
invoice lines (new invoice numbers), and its journal, with the ledger's triggers ON. Entries the
templates' journal carries per loan (disbursement, repayment, invoice VAT, restructuring, lease
commencement, subsidy) are copied per loan; the batch's entries (accrual, penalty: one entry a
chunk carrying every loan's lines) are copied once per BLOCK of clones, the new entry carrying
the lines of every clone in the block — a block is the batch's chunk (`--chunk` loans), so the
copied journal has the entry shape production's batch leaves. Each block is one transaction, so
no transaction holds more than a chunk's deferred checks. Not copied: the repayment, allocation,
disbursement and status-change rows (a copied repayment entry names the template's repayment as
its source).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from decimal import Decimal

REAL_RULES = {"penalty_markup": "0.5", "lock_in_months": 1, "early_settlement_fee_rate": "0.02"}
REAL_LPR = {"basis": "lpr", "tenor": "1y", "spread_bps": 140}
# the templates the book is cloned from: (label, loan_through_funding kwargs, history)
# history: "paid" every instalment due before the day paid on its date; "late2" the last two
# unpaid (penalty accrues, the delinquency step sees them); "over" each instalment paid +300
# (suspense); "restructure" instalment 2 unpaid, restructured (schedule version 2) ten days later
REAL_TEMPLATES = [
    ("等额本息+手续费", {"amount": "120000.00", "method": "equal_instalment", "fee": "50.00", "term": 36}, "paid"),
    ("等额本息", {"amount": "85000.00", "method": "equal_instalment", "fee": "0.00", "term": 24}, "paid"),
    ("等额本息 逾期", {"amount": "90000.00", "method": "equal_instalment", "fee": "50.00", "term": 36}, "late2"),
    ("等额本金+手续费", {"amount": "150000.00", "method": "equal_principal", "fee": "50.00", "term": 36}, "paid"),
    ("先息后本", {"amount": "60000.00", "method": "interest_only", "fee": "0.00", "term": 12}, "paid"),
    ("弹性尾款", {"amount": "210000.00", "method": "balloon", "fee": "50.00", "term": 36, "balloon_ratio": "0.30"}, "paid"),
    ("浮动 LPR+140bp", {"amount": "100000.00", "method": "equal_instalment", "fee": "0.00", "term": 36, "rate": "0.045", "rate_link": REAL_LPR}, "paid"),
    ("厂家贴息", {"amount": "130000.00", "method": "equal_instalment", "fee": "0.00", "term": 36, "customer_rate": "0.0199"}, "paid"),
    ("多付 挂账", {"amount": "70000.00", "method": "equal_instalment", "fee": "0.00", "term": 24}, "over"),
    ("重组 展期", {"amount": "95000.00", "method": "equal_instalment", "fee": "50.00", "term": 24}, "restructure"),
    ("直租", {"amount": "200000.00", "method": "equal_instalment", "fee": "0.00", "term": 36, "contract_type": "direct_lease"}, "paid"),
    ("售后回租", {"amount": "100000.00", "method": "equal_instalment", "fee": "0.00", "term": 24, "contract_type": "sale_leaseback"}, "paid"),
]  # fmt: skip

# journal lines a loan of the mix carries per month of history, and the disk one line costs
# with everything around it (the database's size / its lines: schedule rows, loans, entries,
# invoices and indexes included), both measured on the 20,004-loan book of 2026-12-07: 8,995,156
# lines (450 a loan over six months), 1.67 GB = 186 B a line (the journal lines alone 150 B)
LINES_PER_LOAN_MONTH = 75
DB_BYTES_PER_LINE = 190


def _rows(statement: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


def months_back(day: dt.date, months: int) -> dt.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    return day.replace(year=year, month=(month - 1) % 12 + 1)


def disk_check(loans: int, history_months: int, path: str) -> None:
    """The book's projected size (lines a loan x bytes a line) against the free disk: refused,
    before anything is built, when it will not fit with a fifth to spare."""
    lines = loans * LINES_PER_LOAN_MONTH * history_months
    need = lines * DB_BYTES_PER_LINE
    free = shutil.disk_usage(path).free
    print(f"realistic book: {loans:,} loans x {history_months} months of history = about "
          f"{lines / 1e6:,.1f} M journal lines x {DB_BYTES_PER_LINE} B = {need / 1e9:,.1f} GB "
          f"projected; {free / 1e9:,.1f} GB free on {path}", flush=True)  # fmt: skip
    if need * 1.2 > free:
        raise SystemExit(
            f"refused: the book needs about {need / 1e9:,.0f} GB (+20 %) and {free / 1e9:,.0f} GB "
            f"are free; a shorter --history-months (now {history_months}) or fewer --loans fits"
        )


def realistic_generate(n: int, *, day: dt.date, history_months: int, chunk: int) -> float:
    """REAL_TEMPLATES funded by the real services `history_months` before `day`, their nights
    and payments up to the eve of `day`, then cloned set-based to N loans. Returns seconds."""
    from origination.models import LprRate
    from tests.servicing.loan_factory import loan_through_funding

    t = time.monotonic()
    value_date = months_back(day, history_months)
    LprRate.objects.create(
        tenor="1y", rate=Decimal("0.031000"), effective_date=value_date - dt.timedelta(days=27)
    )
    ids, plan, labels = [], {}, {}
    for label, kwargs, history in REAL_TEMPLATES:
        kw = dict(kwargs)
        kw.setdefault("rate", "0.058")
        loan = loan_through_funding(rules=REAL_RULES, value_date=value_date, **kw)
        ids.append(loan.pk)
        plan[loan.pk] = history
        labels[loan.pk] = label
    print(f"templates funded through the real services: {len(ids)} in "
          f"{time.monotonic() - t:.0f} s", flush=True)  # fmt: skip
    template_nights(value_date + dt.timedelta(days=1), day - dt.timedelta(days=1), ids, plan)
    print(f"template history ({value_date} .. {day - dt.timedelta(days=1)}, {history_months} "
          f"months) in {time.monotonic() - t:.0f} s", flush=True)  # fmt: skip
    copies = max(0, -(-n // len(ids)) - 1)
    if copies:
        clones_make(ids, copies, block=max(1, chunk // len(ids)))
    for table in (
        "servicing_loan",
        "servicing_loanschedulerow",
        "servicing_journalline",
        "servicing_journalentry",
        "servicing_loandelinquency",
        "servicing_invoice",
        "servicing_leaseinvoiceline",
    ):
        _rows(f"VACUUM ANALYZE {table}")  # fmt: skip
    mix_print(labels, copies + 1)
    return time.monotonic() - t


def _unpaid(ids: list[int], plan: dict, day: dt.date) -> dict[int, set[int]]:
    """The instalments each template leaves unpaid: late2 its last two due before `day`,
    restructure its second."""
    out: dict[int, set[int]] = {loan_id: set() for loan_id in ids}
    for loan_id in ids:
        if plan[loan_id] == "late2":
            due = _rows(
                "SELECT instalment_no FROM servicing_loanschedulerow WHERE loan_id = %s"
                " AND due_date < %s ORDER BY instalment_no DESC LIMIT 2",
                [loan_id, day],
            )
            out[loan_id] = {r[0] for r in due}
        elif plan[loan_id] == "restructure":
            out[loan_id] = {2}
    return out


def template_nights(start: dt.date, end: dt.date, ids: list[int], plan: dict) -> None:
    """Every night from start to end inclusive for the templates: the batch's own accrual, due,
    delinquency and lease invoicing chunks, and on each due date the instalment paid through the
    real posting path (auto-debit) as `plan` says. So each template's ledger is the journal a
    loan of that kind really accumulates over its months."""
    from django.db import transaction

    from autofin.business_date import business_date_set
    from servicing.eod.registry import StepContext
    from servicing.eod.steps.accrual import accrual_chunk
    from servicing.eod.steps.delinquency import delinquency_chunk
    from servicing.eod.steps.due import due_chunk
    from servicing.eod.steps.lease_invoicing import lease_invoicing_chunk
    from servicing.services.repayments.posting import repayment_post

    lo, hi = min(ids), max(ids)
    unpaid = _unpaid(ids, plan, end + dt.timedelta(days=1))
    restructure_on = {}
    day = start
    while day <= end:
        # the day's payments first, then that night's steps, as in production
        business_date_set(actor="bench", date=day, reason="bench: template history")
        for loan_id in ids:
            if restructure_on.get(loan_id) == day:
                _restructure(loan_id)
                unpaid[loan_id] = set()  # the new schedule's rows are paid on their dates
            for no, amount in _due_today(loan_id, day):
                if no in unpaid[loan_id]:
                    if plan[loan_id] == "restructure":
                        restructure_on[loan_id] = day + dt.timedelta(days=10)
                    continue
                extra = Decimal("300.00") if plan[loan_id] == "over" else Decimal("0.00")
                repayment_post(
                    loan_id=loan_id, amount=amount + extra, source="auto_debit", actor="bench",
                    idempotency_key=f"bench-tpl:{loan_id}:{no}",
                )  # fmt: skip
        ctx = StepContext(business_date=day, batch_id=0, step_id=0)
        for chunk in (accrual_chunk, due_chunk, lease_invoicing_chunk, delinquency_chunk):
            with transaction.atomic():  # a chunk's temp tables live for its transaction
                chunk(ctx, lo, hi)
        day += dt.timedelta(days=1)
    refused = _rows("SELECT count(*) FROM servicing_leaseinvoicerefusal WHERE NOT resolved")[0][0]
    if refused:
        raise SystemExit(f"the templates' lease invoicing left {refused} refusals open")


def _restructure(loan_id: int) -> None:
    """展期 through the real service, maker and checker (four eyes as the policy says)."""
    from django.contrib.auth.models import Permission

    from autofin.roles import Role
    from tests.approvals_support import loan_restructure
    from tests.factories import UserFactory

    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    agent.user_permissions.add(Permission.objects.get(codename="restructure_loan"))
    agent = type(agent).objects.get(pk=agent.pk)
    loan_restructure(maker=agent, loan_id=loan_id, term_months=30, reason="收入下降，展期")


def _due_today(loan_id: int, day: dt.date) -> list[tuple[int, Decimal]]:
    return [
        (r[0], r[1])
        for r in _rows(
            "SELECT instalment_no, (principal - principal_paid) + (interest - interest_paid)"
            " + (fee - fee_paid) + (penalty - penalty_paid) FROM servicing_loanschedulerow"
            " WHERE loan_id = %s AND due_date = %s AND superseded_by_version IS NULL"
            " AND status <> 'paid'",
            [loan_id, day],
        )
    ]


def _columns(table: str) -> list[str]:
    return [
        r[0]
        for r in _rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            [table],
        )
    ]


def _copy(table: str, source: str, pick: dict[str, str], alias: str = "r") -> int:
    """INSERT INTO table (its columns) SELECT each column as `pick` says (else alias.column)."""
    from django.db import connection

    cols = [k for k in _columns(table) if k != "id" or "id" in pick]
    names = ", ".join(f'"{k}"' for k in cols)  # "end" is a column name
    values = ", ".join(pick.get(k, f'{alias}."{k}"') for k in cols)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {values} {source}")  # noqa: S608
        return cur.rowcount


def clones_make(template_ids: list[int], copies: int, *, block: int) -> None:
    """`copies` of each template, `block` clones (a batch chunk of loans) a transaction."""
    from django.db import transaction

    blocks = -(-copies // block)
    t = time.monotonic()
    lines = 0
    print(f"cloning {copies:,} copies of {len(template_ids)} templates in {blocks} blocks of "
          f"{block} (a block's batch entries carry its {block * len(template_ids):,} loans)",
          flush=True)  # fmt: skip
    for b in range(blocks):
        with transaction.atomic():
            lines += _clone_block(template_ids, b, b * block + 1, min(copies, (b + 1) * block))
        elapsed = time.monotonic() - t
        print(f"  block {b + 1}/{blocks}: {lines:,} lines in {elapsed:.0f} s = "
              f"{lines / elapsed:,.0f} lines/s", flush=True)  # fmt: skip


def _clone_block(template_ids: list[int], b: int, first: int, last: int) -> int:
    """Clones number first..last of every template, in one transaction. Returns lines."""
    _rows("DROP TABLE IF EXISTS clone_map, row_map, invoice_map, subsidy_map, entry_map")
    _rows(
        "CREATE TEMP TABLE clone_map ON COMMIT DROP AS SELECT t.id AS template_id, g.n, "
        "nextval(pg_get_serial_sequence('servicing_loan', 'id')) AS id "
        "FROM unnest(%s::bigint[]) t(id), generate_series(%s, %s) g(n) ORDER BY g.n, t.id",
        [template_ids, first, last],
    )
    _rows("ANALYZE clone_map")  # a temp table has no statistics until asked: the joins' plans
    src = "FROM clone_map m JOIN {} r ON r.{} = m.template_id"
    _copy("servicing_loan", src.format("servicing_loan", "id"),
          {"id": "m.id", "contract_ref": "r.contract_ref || '-C' || m.n"})  # fmt: skip
    for table in ("servicing_loanschedulerow", "servicing_loandelinquency", "servicing_leaseasset"):
        _copy(table, src.format(table, "loan_id"), {"loan_id": "m.id"})
    _rows(
        "CREATE TEMP TABLE subsidy_map ON COMMIT DROP AS SELECT s.id AS old_id, m.id AS loan_id, "
        "nextval(pg_get_serial_sequence('servicing_oemsubsidy', 'id')) AS id "
        "FROM clone_map m JOIN servicing_oemsubsidy s ON s.loan_id = m.template_id"
    )
    _copy("servicing_oemsubsidy",
          "FROM subsidy_map x JOIN servicing_oemsubsidy r ON r.id = x.old_id",
          {"id": "x.id", "loan_id": "x.loan_id"})  # fmt: skip
    _copy("servicing_oemsubsidyperiod",
          "FROM subsidy_map x JOIN servicing_oemsubsidyperiod r ON r.subsidy_id = x.old_id",
          {"subsidy_id": "x.id", "loan_id": "x.loan_id"})  # fmt: skip
    _invoices_copy()
    # the journal lines' foreign-key triggers (5 deferred per-row checks a line: ~45 µs a line,
    # more than the insert itself) are off for the copy, the ledger's own triggers stay on;
    # disabled inside this transaction, so a failure leaves them enabled. Since servicing 0049
    # the lines have no foreign keys (a statement-level guard, on, checks them): none is found
    triggers = _rows(
        "SELECT t.tgrelid::regclass::text, t.tgname FROM pg_trigger t"
        " JOIN pg_constraint c ON c.oid = t.tgconstraint AND c.contype = 'f'"
        " WHERE t.tgrelid IN (SELECT relid FROM pg_partition_tree('servicing_journalline'))"
        " AND t.tgfoid IN ('\"RI_FKey_check_ins\"'::regproc, '\"RI_FKey_check_upd\"'::regproc)"
    )
    for table, name in triggers:
        _rows(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
    lines = _journal_copy(b)
    for table, name in triggers:
        _rows(f'ALTER TABLE {table} ENABLE TRIGGER "{name}"')
    # what those checks would prove holds by construction: each line's entry is one of the
    # block's entries and its loan one of the block's loans (both inserted above, counted here),
    # its account, dealer and advance those of the template's line it copies
    made = _rows(
        "SELECT (SELECT count(*) FROM entry_map) - (SELECT count(*) FROM servicing_journalentry"
        " WHERE id IN (SELECT id FROM entry_map)), (SELECT count(*) FROM clone_map)"
        " - (SELECT count(*) FROM servicing_loan WHERE id IN (SELECT id FROM clone_map))"
    )[0]
    if made != (0, 0):
        raise RuntimeError(f"block {b}: entries or loans missing under the copied lines: {made}")
    return lines


def _invoices_copy() -> None:
    """The leases' rent invoices and their lines: each clone's own invoice (a new number, its
    source the clone's row or month) over the clone's rows."""
    _rows(
        "CREATE TEMP TABLE row_map ON COMMIT DROP AS SELECT o.id AS old_id, c.id AS new_id, "
        "c.loan_id FROM clone_map m JOIN servicing_loan l ON l.id = m.template_id "
        "AND l.contract_type <> 'loan' "
        "JOIN servicing_loanschedulerow o ON o.loan_id = m.template_id "
        "JOIN servicing_loanschedulerow c ON c.loan_id = m.id "
        "AND c.schedule_version = o.schedule_version AND c.instalment_no = o.instalment_no"
    )
    _rows(
        "CREATE TEMP TABLE invoice_map ON COMMIT DROP AS SELECT DISTINCT x.invoice_id AS old_id, "
        "m.id AS loan_id, NULL::bigint AS id FROM clone_map m "
        "JOIN servicing_leaseinvoiceline x ON x.loan_id = m.template_id AND x.kind = 'lease_rent'"
    )
    _rows("UPDATE invoice_map SET id = nextval(pg_get_serial_sequence('servicing_invoice', 'id'))")
    # looked up per invoice and per invoice entry: without these, each look-up scans the map
    _rows("CREATE INDEX ON row_map (old_id, loan_id)")
    _rows("CREATE INDEX ON invoice_map (old_id, loan_id)")
    _rows("ANALYZE row_map, invoice_map")
    _copy("servicing_invoice", "FROM invoice_map x JOIN servicing_invoice r ON r.id = x.old_id", {
        "id": "x.id",
        "number": "'BC' || lpad(x.id::text, 18, '0')",
        "source_id": "CASE WHEN position(':' IN r.source_id) > 0 "
                     "THEN x.loan_id || ':' || split_part(r.source_id, ':', 2) "
                     "ELSE (SELECT new_id FROM row_map WHERE old_id = r.source_id::bigint "
                     "AND loan_id = x.loan_id)::text END",
    })  # fmt: skip
    _copy("servicing_leaseinvoiceline",
          "FROM invoice_map x JOIN servicing_leaseinvoiceline r ON r.invoice_id = x.old_id "
          "JOIN row_map rm ON rm.old_id = r.row_id AND rm.loan_id = x.loan_id",
          {"invoice_id": "x.id", "loan_id": "x.loan_id", "row_id": "rm.new_id"})  # fmt: skip


def _journal_copy(b: int) -> int:
    """Per-loan entries once per clone; the batch's entries (no loan) once for the block, each
    carrying its lines of every clone. All lines in one statement: the ledger's balance check
    sees each entry whole."""
    _rows(
        "CREATE TEMP TABLE entry_map ON COMMIT DROP AS "
        "SELECT e.id AS old_id, m.n, m.id AS loan_id, NULL::bigint AS id "
        "FROM clone_map m JOIN servicing_journalentry e ON e.loan_id = m.template_id "
        "UNION ALL SELECT DISTINCT j.entry_id, NULL::int, NULL::bigint, NULL::bigint "
        "FROM servicing_journalline j JOIN servicing_journalentry e ON e.id = j.entry_id "
        "AND e.loan_id IS NULL WHERE j.loan_id IN (SELECT template_id FROM clone_map)"
    )
    _rows(
        "UPDATE entry_map SET id = nextval(pg_get_serial_sequence('servicing_journalentry', 'id'))"
    )
    _rows("ANALYZE entry_map")
    _copy("servicing_journalentry",
          "FROM entry_map em JOIN servicing_journalentry e ON e.id = em.old_id", {
              "id": "em.id",
              "loan_id": "em.loan_id",
              "source_id": "CASE WHEN e.source_type = 'invoice' THEN coalesce((SELECT x.id::text "
                           "FROM invoice_map x WHERE x.old_id = e.source_id::bigint "
                           "AND x.loan_id = em.loan_id), e.source_id) ELSE e.source_id END",
              "idempotency_key": f"e.idempotency_key || coalesce(':clone' || em.n, ':block{b}')",
          }, alias="e")  # fmt: skip
    return _copy("servicing_journalline",
                 "FROM (SELECT j.*, em.id AS new_entry, em.loan_id AS new_loan FROM entry_map em "
                 "      JOIN servicing_journalline j ON j.entry_id = em.old_id "
                 "     WHERE em.loan_id IS NOT NULL "
                 "    UNION ALL "
                 "    SELECT j.*, em.id, m.id FROM entry_map em "
                 "      JOIN servicing_journalline j ON j.entry_id = em.old_id "
                 "      JOIN clone_map m ON m.template_id = j.loan_id "
                 "     WHERE em.loan_id IS NULL) j",
                 {"entry_id": "j.new_entry",
                  "loan_id": "CASE WHEN j.loan_id IS NOT NULL THEN j.new_loan END"},
                 alias="j")  # fmt: skip


def mix_print(labels: dict[int, str], each: int) -> None:
    from _common import load_average

    print("the book's mix (each template x copies):")
    for loan_id, label in labels.items():
        row = _rows(
            "SELECT l.method, l.status, l.rate_basis, l.fee_per_instalment, l.suspense_balance,"
            " l.customer_rate, (SELECT count(*) FROM servicing_journalline j WHERE j.loan_id = l.id),"
            " (SELECT coalesce(sum(penalty), 0) FROM servicing_loanschedulerow r"
            "   WHERE r.loan_id = l.id), l.contract_type, l.schedule_version FROM servicing_loan l"
            " WHERE l.id = %s",
            [loan_id],
        )[0]
        print(f"  {label:<16} x{each:,}: {row[0]}, {row[8]}, {row[1]}, schedule v{row[9]}, rate "
              f"{row[2]}, fee {row[3]}, suspense {row[4]}, customer rate {row[5]}, {row[6]} ledger "
              f"lines, penalty {row[7]}")  # fmt: skip
    entries = _rows("SELECT count(*) FROM servicing_journalentry")[0][0]
    lines = _rows("SELECT count(*) FROM servicing_journalline")[0][0]
    invoices = _rows("SELECT count(*) FROM servicing_invoice")[0][0]
    db = _rows("SELECT pg_database_size(current_database())")[0][0]
    journal = _rows(
        "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('servicing_journalline')"
    )[0][0]
    print(f"  journal: {entries:,} entries, {lines:,} lines; {invoices:,} lease invoices; "
          f"disk: the database {db / 1e9:.2f} GB = {db / max(lines, 1):,.0f} B a line, the "
          f"journal lines (table + indexes) {journal / max(lines, 1):,.0f} B a line "
          f"(load average {load_average()})")  # fmt: skip


def month_end_steps(day: dt.date) -> None:
    """The month-end bodies of the monthly steps (`provisions`, `credit_reporting`) on the book
    the batch left, as of `day`, each timed on its own (the batch runs them on a month's last
    day only)."""
    from _common import load_average

    from servicing.services.credit_reporting.generate import (
        month_end_records,
        negative_notices_queue,
    )
    from servicing.services.credit_reporting.submit import batch_for
    from servicing.services.provisions.compute import provision_run_compute
    from servicing.services.provisions.parameters import ProvisionError

    loans = _rows("SELECT count(*) FROM servicing_loan")[0][0]
    print(f"\nmonth-end steps on the same book, as of {day} (load average {load_average()}):")
    t = time.monotonic()
    try:
        run = provision_run_compute(as_of=day, actor="bench")
        outcome = f"{run.loans:,} loans, ECL {run.ecl:,}"
    except ProvisionError as exc:
        outcome = f"refused: {exc}"
    seconds = time.monotonic() - t
    print(f"  provisions        {seconds:8.1f} s  {seconds * 1000 / loans:.3f} s/1k loans  "
          f"{outcome}")  # fmt: skip
    t = time.monotonic()
    notices = negative_notices_queue(business_date=day)
    written = month_end_records(
        batch_id=batch_for(kind="monthly", business_date=day).pk, business_date=day
    )
    seconds = time.monotonic() - t
    print(f"  credit_reporting  {seconds:8.1f} s  {seconds * 1000 / loans:.3f} s/1k loans  "
          f"{written:,} monthly records, {notices:,} first-negative notices "
          f"(load average {load_average()})")  # fmt: skip
