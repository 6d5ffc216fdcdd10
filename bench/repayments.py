"""Repayment posting speed on a realistic book, with several payments racing on the same loans.

    .venv/bin/python bench/repayments.py [--loans 6000] [--workers 4] [--chunk 200]
                                         [--mode contention|separate] [--sample 200] [--keep]

Creates a scratch database `autofin_bench_repayments` (or $BENCH_DB, after $BENCH_DB_PREFIX),
copied from the migrated template, and builds the book in four unmeasured steps:

1. **Templates through funding.** Six loans are made by the tests' loan factory
   (tests/servicing/loan_factory.py): product published, application filled and approved,
   contract signed with the SMS code, disbursed maker-checker through the sandbox bank. They
   cover the four repayment methods (等额本息, 等额本金, 先息后本, 弹性尾款), with and
   without a handling fee per instalment, and a floating (LPR + 140 bp) loan.
2. **Clones, set-based, triggers on.** Each template is copied `--loans / 6` times by
   INSERT ... SELECT: the loan row (new id, contract_ref + "-C<n>"), its schedule rows, and every
   journal entry carrying the loan with its lines (new entry ids, idempotency key + ":clone<n>",
   the lines' loan id the clone's). The ledger triggers stay on (append-only, period open,
   balanced entry, entry has lines), so each cloned funding entry is checked as a posted one is.
   A clone is then the template's loan as funding left it; what is not copied — the
   application, contract, disbursement, payees, audit trail — is read by no posting. The bench
   proves it: each clone's ledger (per account and side: sum and line count), schedule rows and
   loan row (every column but id and contract_ref) equal its template's, and the trial
   balance is zero; otherwise it exits non-zero before measuring.
3. **History.** Instalment 1 (due 2026-02-15) is paid for 85 % of the loans through the batch
   path; the other 15 % are left unpaid and the real delinquency step (the nightly batch's
   `delinquency`, `batch_run_sync(only_step=...)`) runs for 2026-03-14: penalty accrued, rows
   overdue, loans overdue with their DPD.
4. **The day's payments** for 2026-03-15 (instalment 2 due), two per loan:
   on time (40 %): the auto-debit file's exact instalment racing the customer's online payment
   of the same instalment (the second lands in suspense); partial (15 %): half online, the rest
   by an agent (manual posting); overpayment (10 %): the agent posts 1.5 instalments (suspense)
   racing the auto-debit; arrears with penalty (15 %): the auto-debit instalment and the agent's
   posting of the overdue instalment and its penalty; partial prepayment (10 %): auto-debit
   plus an online prepayment (shorten term, with its fee); full early settlement (10 %): an
   online payoff against the quote issued that morning racing the auto-debit (one of the two
   is refused or replayed by the rules: a quote stale after the instalment, a closed loan).
   Auto-debit lines come in the bank's results file applied by `auto_debit_results_apply`
   (`--chunk` lines a transaction); online and prepayment/payoff go through `repayment_post`,
   the agent's through `repayment_manual_submit` (below the approval threshold: posts at once).

`--mode contention` (default) gives a loan's two payments to two DIFFERENT workers, each
working through its payments in loan order, so they arrive on the same loans at the same time;
`--mode separate` gives both to one worker (no loan is shared: the old bench's setup). Every
worker's connection runs with synchronous_commit=on. A serialization failure or deadlock is
retried (counted); a refusal by the rules is counted, not retried.

Prints postings/s, p50/p95 latency per posting (one shared percentile), statements per posting,
worker CPU and the database backends' CPU per posting (the db/app split), the share of time
backends waited on locks (sampled), retries, then the checks: trial balance zero, nothing
posted twice, every sampled loan equal to its ledger. A broken invariant exits non-zero; a
missed target (800 postings/s in contention) is printed. Drops the database unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import random
import sys
import threading
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402
    db_drop,
    db_name,
    load_average,
    percentile,
    scratch_database,
    server_url,
    with_db,
)

BENCH_DB = os.environ.get("BENCH_DB", db_name("autofin_bench_repayments"))
VALUE_DATE = dt.date(2026, 1, 15)
FIRST_DUE = dt.date(2026, 2, 15)
ARREARS_CLOSE = dt.date(2026, 3, 14)  # the delinquency step's date: instalment 1 is 27 days late
DAY = dt.date(2026, 3, 15)  # the measured day: instalment 2 due
TARGET = 800
STRETCH = 1000
LPR_LINK = {"basis": "lpr", "tenor": "1y", "spread_bps": 140}
# lock-in one month, so prepayments and settlements are allowed on the measured day
RULES = {"penalty_markup": "0.5", "lock_in_months": 1, "early_settlement_fee_rate": "0.02"}
TEMPLATES = [
    {"amount": "120000.00", "method": "equal_instalment", "fee": "50.00"},
    {"amount": "85000.00", "method": "equal_instalment", "fee": "0.00"},
    {"amount": "150000.00", "method": "equal_principal", "fee": "50.00"},
    {"amount": "60000.00", "method": "interest_only", "fee": "0.00"},
    {"amount": "210000.00", "method": "balloon", "fee": "50.00", "balloon_ratio": "0.30"},
    {"amount": "100000.00", "method": "equal_instalment", "fee": "0.00", "rate": "0.045",
     "rate_link": LPR_LINK},
]  # fmt: skip
# the share of loans in each case, in twentieths (see the docstring)
MIX = [("on_time", 8), ("partial", 3), ("overpay", 2), ("arrears", 3), ("prepay", 2)] + [
    ("payoff", 2)
]
RETRYABLE = {"40001", "40P01"}  # serialization failure, deadlock detected


def setup_django() -> None:
    os.environ["DATABASE_URL"] = with_db(os.environ.get("BENCH_SERVER_URL", server_url()), BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autofin.settings")
    os.environ.setdefault("TESTING", "0")
    os.environ["CONN_MAX_AGE"] = "0"
    import django

    django.setup()


def case_of(index: int) -> str:
    slot = index % 20
    for case, share in MIX:
        if slot < share:
            return case
        slot -= share
    raise AssertionError("the mix adds up to 20")


# --- 1. templates through funding ------------------------------------------------------------


def templates_fund() -> list[int]:
    from origination.models import LprRate
    from tests.servicing.loan_factory import loan_through_funding

    LprRate.objects.create(
        tenor="1y", rate=Decimal("0.031000"), effective_date=dt.date(2025, 11, 20)
    )
    ids = []
    for t in TEMPLATES:
        loan = loan_through_funding(
            amount=t["amount"],
            rate=t.get("rate", "0.058"),
            term=12,
            method=t["method"],
            fee=t["fee"],
            rules=RULES,
            rate_link=t.get("rate_link"),
            balloon_ratio=t.get("balloon_ratio"),
            value_date=VALUE_DATE,
        )
        ids.append(loan.pk)
    return ids


# --- 2. clones --------------------------------------------------------------------------------


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND table_schema = current_schema() ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cursor.fetchall()]


def clones_make(template_ids: list[int], copies: int) -> None:
    """INSERT ... SELECT copies of each template's loan, schedule rows and journal entries with
    their lines, in one transaction, the ledger's triggers on."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:
        c.execute(
            "CREATE TEMP TABLE clone_map AS SELECT t.id AS template_id, g.n, "
            "nextval(pg_get_serial_sequence('servicing_loan', 'id')) AS id "
            "FROM unnest(%s::bigint[]) t(id), generate_series(1, %s) g(n)",
            [template_ids, copies],
        )
        cols = _columns(c, "servicing_loan")
        pick = {"id": "m.id", "contract_ref": "l.contract_ref || '-C' || m.n"}
        c.execute(
            f"INSERT INTO servicing_loan ({', '.join(cols)}) "  # noqa: S608 - catalogue names
            f"SELECT {', '.join(pick.get(k, 'l.' + k) for k in cols)} "
            "FROM clone_map m JOIN servicing_loan l ON l.id = m.template_id"
        )
        cols = [k for k in _columns(c, "servicing_loanschedulerow") if k != "id"]
        c.execute(
            f"INSERT INTO servicing_loanschedulerow ({', '.join(cols)}) "  # noqa: S608
            f"SELECT {', '.join('m.id' if k == 'loan_id' else 'r.' + k for k in cols)} "
            "FROM clone_map m JOIN servicing_loanschedulerow r ON r.loan_id = m.template_id"
        )
        # every entry with a line or a header carrying the template: funding and its fees
        c.execute(
            "CREATE TEMP TABLE entry_map AS SELECT e.id AS old_id, m.n, m.id AS loan_id, "
            "m.template_id, nextval(pg_get_serial_sequence('servicing_journalentry', 'id')) AS id "
            "FROM clone_map m JOIN servicing_journalentry e ON e.id IN ("
            "  SELECT id FROM servicing_journalentry WHERE loan_id = m.template_id"
            "  UNION SELECT entry_id FROM servicing_journalline WHERE loan_id = m.template_id)"
        )
        cols = _columns(c, "servicing_journalentry")
        pick = {
            "id": "em.id",
            "loan_id": "CASE WHEN e.loan_id = em.template_id THEN em.loan_id ELSE e.loan_id END",
            "idempotency_key": "e.idempotency_key || ':clone' || em.n",
        }
        c.execute(
            f"INSERT INTO servicing_journalentry ({', '.join(cols)}) "  # noqa: S608
            f"SELECT {', '.join(pick.get(k, 'e.' + k) for k in cols)} "
            "FROM entry_map em JOIN servicing_journalentry e ON e.id = em.old_id"
        )
        cols = [k for k in _columns(c, "servicing_journalline") if k != "id"]
        pick = {
            "entry_id": "em.id",
            "loan_id": "CASE WHEN j.loan_id = em.template_id THEN em.loan_id ELSE j.loan_id END",
        }
        c.execute(
            f"INSERT INTO servicing_journalline ({', '.join(cols)}) "  # noqa: S608
            f"SELECT {', '.join(pick.get(k, 'j.' + k) for k in cols)} "
            "FROM entry_map em JOIN servicing_journalline j ON j.entry_id = em.old_id"
        )


def clones_differing() -> dict[str, int]:
    """Clones whose ledger shape, schedule rows or loan row differ from their template's."""
    from django.db import connection

    out = {}
    with connection.cursor() as c:
        ledger = (
            "SELECT {key} AS loan, account_id, side, sum(amount) AS total, count(*) AS lines "
            "FROM servicing_journalline j JOIN clone_map m ON j.loan_id = m.{own} "
            "GROUP BY 1, 2, 3"
        )
        rows_cols = [
            k for k in _columns(c, "servicing_loanschedulerow") if k not in ("id", "loan_id")
        ]
        rows = (
            f"SELECT {{key}} AS loan, {', '.join('r.' + k for k in rows_cols)} "
            "FROM servicing_loanschedulerow r JOIN clone_map m ON r.loan_id = m.{own}"
        )
        loan_cols = [
            k
            for k in _columns(c, "servicing_loan")
            if k not in ("id", "contract_ref", "created_at", "updated_at")
        ]
        loans = (
            f"SELECT {{key}} AS loan, {', '.join('l.' + k for k in loan_cols)} "
            "FROM servicing_loan l JOIN clone_map m ON l.id = m.{own}"
        )
        for name, sql in (("ledger", ledger), ("schedule", rows), ("loan", loans)):
            clone = sql.format(key="m.id", own="id")
            template = sql.format(key="m.id", own="template_id")
            c.execute(
                f"SELECT count(DISTINCT loan) FROM (({clone} EXCEPT {template}) "  # noqa: S608
                f"UNION ALL ({template} EXCEPT {clone})) x"
            )
            out[name] = c.fetchone()[0]
    return out


# --- 3. history ---------------------------------------------------------------------------------


def unpaid_by_loan(loan_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """{loan: {instalment_no: amount unpaid (penalty included)}} for rows due by DAY."""
    from django.db import connection

    out: dict[int, dict[int, Decimal]] = {}
    with connection.cursor() as c:
        c.execute(
            "SELECT loan_id, instalment_no, (principal - principal_paid) + (interest - "
            "interest_paid) + (fee - fee_paid) + (penalty - penalty_paid) "
            "FROM servicing_loanschedulerow WHERE loan_id = ANY(%s) AND due_date <= %s "
            "AND superseded_by_version IS NULL",
            [loan_ids, DAY],
        )
        for loan_id, no, amount in c.fetchall():
            out.setdefault(loan_id, {})[no] = amount
    return out


def history_make(loan_ids: list[int], cases: dict[int, str]) -> None:
    from django.db import transaction

    from autofin.business_date import business_date_set
    from servicing.eod.sync_driver import batch_run_sync
    from servicing.services.repayments.apply import (
        PaymentIn,
        loans_lock,
        repayments_post_many_locked,
    )

    business_date_set(actor="bench", date=FIRST_DUE, reason="bench: instalment 1")
    payers = [i for i in loan_ids if cases[i] != "arrears"]
    due = unpaid_by_loan(payers)
    for start in range(0, len(payers), 500):
        part = payers[start : start + 500]
        with transaction.atomic():
            locked = loans_lock(loan_ids=part, eligible_on=FIRST_DUE)
            repayments_post_many_locked(
                locked=locked,
                payments=[
                    PaymentIn(loan_id=i, amount=due[i][1], idempotency_key=f"bench-hist:{i}")
                    for i in part
                ],
                source="auto_debit",
                business_date=FIRST_DUE,
                actor="bench",
            )
    business_date_set(actor="bench", date=ARREARS_CLOSE, reason="bench: delinquency")
    batch_run_sync(business_date=ARREARS_CLOSE, only_step="delinquency", advance=False)
    business_date_set(actor="bench", date=DAY, reason="bench: the measured day")


# --- 4. the day's payments -----------------------------------------------------------------


def half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def payments_plan(loan_ids: list[int], cases: dict[int, str]) -> list[list[tuple]]:
    """Two payments per loan: (loan, kind, amount, extra). Quotes and prepayment prices are
    taken now, as the customer's app takes them before paying."""
    from servicing.models.loans import Loan
    from servicing.services.settlement.early import payoff_quote_issue
    from servicing.services.settlement.prepayment import prepayment_terms

    due = unpaid_by_loan(loan_ids)
    plans = []
    for i in loan_ids:
        case = cases[i]
        inst = due[i][2]
        bank = (i, "bank", inst, f"AD{DAY:%Y%m%d}{i:010d}")
        if case == "on_time":
            plans.append([bank, (i, "online", inst, None)])
        elif case == "partial":
            plans.append([(i, "online", half(inst), None), (i, "manual", inst - half(inst), None)])
        elif case == "overpay":
            plans.append([(i, "manual", inst + half(inst), None), bank])
        elif case == "arrears":
            plans.append([bank, (i, "manual", due[i][1], None)])
        elif case == "prepay":
            loan = Loan.objects.get(pk=i)
            prepay = (loan.principal_outstanding / 5).quantize(Decimal("1"), ROUND_HALF_UP)
            # shorten the term where the method allows it, else lower the instalment
            option = "shorten_term" if "equal" in loan.method else "lower_instalment"
            terms = prepayment_terms(loan=loan, prepay_amount=prepay, option=option, on=DAY)
            plans.append([bank, (i, "prepay", terms.total, (prepay, option))])
        else:
            quote = payoff_quote_issue(loan_id=i, actor="bench", as_of=DAY)
            plans.append([(i, "payoff", quote.total, quote.pk), bank])
    return plans


def auto_debit_items(plans: list[list[tuple]]) -> None:
    from servicing.models.repayments import AutoDebitBatch, AutoDebitItem

    batch = AutoDebitBatch.objects.create(
        business_date=DAY, file_name=f"autodebit_{DAY:%Y%m%d}.csv", content=""
    )
    AutoDebitItem.objects.bulk_create(
        [
            AutoDebitItem(batch=batch, loan_id=p[0], amount=p[2], instruction_ref=p[3])
            for plan in plans
            for p in plan
            if p[1] == "bank"
        ],
        batch_size=5000,
    )


def _backend_cpu(pid: int) -> float:
    """CPU seconds used by a PostgreSQL backend (same host: /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def worker(index: int, tasks: list[tuple], chunk: int, agent_id: int, queue) -> None:
    try:
        _work(index, tasks, chunk, agent_id, queue)
    except BaseException as exc:  # a crashed worker is reported, never awaited forever
        import traceback

        traceback.print_exc()
        queue.put({"index": index, "crashed": repr(exc)})
        raise


def _work(index: int, tasks: list[tuple], chunk: int, agent_id: int, queue) -> None:
    setup_django()
    from django.db import OperationalError, connection

    from autofin.models import User
    from servicing.services.loans.account import LoanError
    from servicing.services.repayments.auto_debit import auto_debit_results_apply
    from servicing.services.repayments.manual import repayment_manual_submit
    from servicing.services.repayments.posting import repayment_post

    agent = User.objects.get(pk=agent_id)
    with connection.cursor() as c:
        c.execute("SET synchronous_commit = on")
        c.execute("SELECT pg_backend_pid()")
        backend = c.fetchone()[0]
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    stats = {"posted": 0, "refused": 0, "pending": 0, "errors": 0, "retries": 0}
    latencies: dict[str, list[float]] = {}
    refusals: dict[str, int] = {}

    by_kind: dict[str, list[int]] = {}  # kind: [statements, payments]

    def attempt(kind: str, call, weight: int = 1):
        before = statements[0]
        tally = by_kind.setdefault(kind, [0, 0])
        tally[1] += weight
        try:
            return _attempt(kind, call, weight)
        finally:
            tally[0] += statements[0] - before

    def _attempt(kind: str, call, weight: int):
        for _try in range(10):
            start = time.perf_counter()
            try:
                result = call()
            except OperationalError as exc:
                if getattr(exc.__cause__, "pgcode", None) in RETRYABLE:
                    stats["retries"] += 1
                    continue
                raise
            except LoanError as exc:  # RepaymentError too
                stats["refused"] += 1
                key = f"{kind}: {getattr(exc, 'code', '') or str(exc)[:40]}"
                refusals[key] = refusals.get(key, 0) + 1
                return None
            latencies.setdefault(kind, []).extend([time.perf_counter() - start] * weight)
            return result
        stats["errors"] += 1
        return None

    def flush(lines: list[tuple]) -> None:
        content = "instruction_ref,amount,result,reason,bank_ref\n" + "".join(
            f"{ref},{amount},success,,B{ref}\n" for _i, _k, amount, ref in lines
        )
        summary = attempt(
            "bank",
            lambda: auto_debit_results_apply(
                content=content, actor="bank", business_date=DAY, chunk=chunk
            ),
            weight=len(lines),
        )
        if summary is not None:
            stats["posted"] += summary.succeeded
            stats["errors"] += summary.failed + summary.unknown

    def single(loan_id: int, kind: str, amount: Decimal, extra) -> None:
        if kind == "manual":
            r = attempt(
                kind,
                lambda: repayment_manual_submit(
                    loan_id=loan_id, amount=amount, evidence=f"银行流水 M{loan_id}",
                    actor=agent, idempotency_key=f"bench-manual:{loan_id}", business_date=DAY,
                ),
            )  # fmt: skip
        else:
            purpose = {"prepay": "prepayment", "payoff": "payoff"}.get(kind, "instalment")
            r = attempt(
                kind,
                lambda: repayment_post(
                    loan_id=loan_id, amount=amount, source="online", actor="customer",
                    business_date=DAY, idempotency_key=f"bench-{kind}:{loan_id}",
                    external_ref=f"PAY{kind[:2].upper()}{loan_id}", purpose=purpose,
                    payoff_quote_id=extra if kind == "payoff" else None,
                    prepayment_option=extra[1] if kind == "prepay" else "",
                    prepay_amount=extra[0] if kind == "prepay" else None,
                ),
            )  # fmt: skip
        if r is not None:
            stats["posted" if r.status == "posted" else "pending"] += 1

    cpu0, db0 = time.process_time(), _backend_cpu(backend)
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        pending: list[tuple] = []
        for task in tasks:
            if task[1] == "bank":
                pending.append(task)
                if len(pending) == chunk:
                    flush(pending)
                    pending = []
            else:
                single(*task)
        if pending:
            flush(pending)
    elapsed = time.perf_counter() - started
    queue.put(
        {
            "index": index,
            **stats,
            "elapsed": elapsed,
            "cpu": time.process_time() - cpu0,
            "db_cpu": _backend_cpu(backend) - db0,
            "statements": statements[0],
            "latencies": latencies,
            "refusals": refusals,
            "by_kind": by_kind,
        }
    )


class LockSampler(threading.Thread):
    """Every 10 ms: how many of the bench's backends are active, and how many wait on a lock."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.samples = 0
        self.active = 0
        self.waiting = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        with conn.cursor() as c:
            while not self.stop.is_set():
                c.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'), "
                    "count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                active, waiting = c.fetchone()
                self.samples += 1
                self.active += active
                self.waiting += waiting
                time.sleep(0.01)
        conn.close()


def server_settings() -> str:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SHOW fsync")
        fsync = c.fetchone()[0]
        c.execute("SHOW wal_sync_method")
        method = c.fetchone()[0]
    return f"synchronous_commit=on in every worker (server fsync={fsync}, {method})"


def main() -> None:  # noqa: C901, PLR0912, PLR0915 - one bench, printed in order
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=200, help="auto-debit lines a transaction")
    parser.add_argument("--mode", choices=("contention", "separate"), default="contention")
    parser.add_argument("--sample", type=int, default=200, help="loans checked against the ledger")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    if options.mode == "contention" and options.workers < 2:
        parser.error("contention needs 2 workers or more")
    os.environ["BENCH_SERVER_URL"] = server_url()
    print(
        f"setup: {options.loans} loans, {options.workers} workers, mode {options.mode}, "
        f"chunk {options.chunk}; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; load average {load_average()} at the start",
        flush=True,
    )
    scratch_database(BENCH_DB)
    failed = False
    try:
        setup_django()
        from django.db import connection

        from autofin.roles import Role
        from servicing.models.loans import Loan
        from servicing.models.repayments import Repayment
        from servicing.selectors.ledger import loan_balances, trial_balance
        from servicing.selectors.loans import loan_figures
        from tests.factories import UserFactory

        t0 = time.perf_counter()
        template_ids = templates_fund()
        t_fund = time.perf_counter() - t0
        copies = max(1, options.loans // len(template_ids) - 1)
        t0 = time.perf_counter()
        clones_make(template_ids, copies)
        t_clone = time.perf_counter() - t0
        differing = clones_differing()
        tb = trial_balance()
        print(
            f"book: {len(template_ids)} templates funded through the real funding path in "
            f"{t_fund:.1f}s; {copies} clones each (loan, schedule rows, funding entries and "
            f"lines, triggers on) in {t_clone:.1f}s; clones differing from their template: "
            f"ledger {differing['ledger']}, schedule {differing['schedule']}, "
            f"loan {differing['loan']}; trial balance {tb.total}",
            flush=True,
        )
        if any(differing.values()) or tb.total != 0:
            print("FAILED: a clone is not its template's copy")
            failed = True
            raise SystemExit(1)

        loan_ids = list(Loan.objects.order_by("pk").values_list("pk", flat=True))
        cases = {loan_id: case_of(n) for n, loan_id in enumerate(loan_ids)}
        t0 = time.perf_counter()
        history_make(loan_ids, cases)
        plans = payments_plan(loan_ids, cases)
        auto_debit_items(plans)
        agent = UserFactory(username="bench-agent", roles=[Role.SERVICING_AGENT])
        penalty = Loan.objects.filter(pk__in=[i for i in loan_ids if cases[i] == "arrears"])
        overdue = penalty.filter(status="overdue").count()
        print(
            f"history and the day's plan in {time.perf_counter() - t0:.1f}s: instalment 1 paid "
            f"by {sum(c != 'arrears' for c in cases.values())} loans, "
            f"{overdue} loans overdue with penalty; mix "
            + ", ".join(f"{case} {share * 5}%" for case, share in MIX),
            flush=True,
        )
        print(server_settings(), flush=True)
        connection.close()

        shares: list[list[tuple]] = [[] for _ in range(options.workers)]
        rng = random.Random(22)
        for n, plan in enumerate(plans):
            first = n % options.workers
            for j, task in enumerate(plan):
                # contention: the loan's second payment goes to another worker (at random, so
                # every pair of workers meets on some loans)
                if options.mode == "contention" and j:
                    other = (first + rng.randrange(1, options.workers)) % options.workers
                    shares[other].append(task)
                else:
                    shares[first].append(task)
        for share in shares:
            share.sort(key=lambda t: t[0])  # each worker goes through its loans in id order

        with connection.cursor() as c:
            c.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            deadlocks0 = c.fetchone()[0]
        connection.close()
        sampler = LockSampler(os.environ["DATABASE_URL"])
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=worker, args=(i, shares[i], options.chunk, agent.pk, queue))
            for i in range(options.workers)
        ]
        sampler.start()
        t1 = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.perf_counter() - t1
        crashed = [r for r in results if "crashed" in r]
        if crashed:
            sampler.stop.set()
            for p in procs:  # the others would wait behind the crashed one's loans
                p.terminate()
            print(f"FAILED: workers crashed: {crashed}")
            failed = True
            raise SystemExit(1)
        for p in procs:
            p.join()
        sampler.stop.set()
        sampler.join()

        posted = sum(r["posted"] for r in results)
        attempts = sum(len(s) for s in shares)
        retries = sum(r["retries"] for r in results)
        errors = sum(r["errors"] for r in results)
        refused = sum(r["refused"] for r in results)
        pending = sum(r["pending"] for r in results)
        rate = posted / elapsed
        verdict = (
            "meets the stretch" if rate >= STRETCH else "meets" if rate >= TARGET else "MISSES"
        )
        print(
            f"{posted} repayments posted by {options.workers} workers in {elapsed:.1f}s: "
            f"{rate:.0f} postings/s ({errors} errors) - {verdict} the target of {TARGET}/s "
            f"(stretch {STRETCH}) in mode {options.mode}; load average {load_average()}"
        )
        refusals: dict[str, int] = {}
        for r in results:
            for k, v in r["refusals"].items():
                refusals[k] = refusals.get(k, 0) + v
        print(
            f"payments offered {attempts}: posted {posted}, refused by the rules {refused}"
            + (
                f" ({', '.join(f'{k} x{v}' for k, v in sorted(refusals.items()))})"
                if refused
                else ""
            )
            + f", awaiting approval {pending}"
        )
        with connection.cursor() as c:
            # payoffs and prepayments the rules turned into ordinary repayments (a stale quote)
            c.execute(
                "SELECT effects->>'fallback', count(*) FROM servicing_repayment "
                "WHERE received_on = %s AND effects ? 'fallback' GROUP BY 1 ORDER BY 1",
                [DAY],
            )
            fallbacks = c.fetchall()
        print(
            "posted as ordinary repayments instead of a payoff or prepayment: "
            + (", ".join(f"{reason} x{n}" for reason, n in fallbacks) or "none")
        )
        all_latencies: list[float] = []
        for kind in ("bank", "online", "manual", "prepay", "payoff"):
            values = [v for r in results for v in r["latencies"].get(kind, [])]
            all_latencies += values
            sql, paid = (sum(r["by_kind"].get(kind, [0, 0])[n] for r in results) for n in (0, 1))
            if values:
                print(
                    f"  latency {kind:<7} n={len(values):>6}  p50 {percentile(values, 0.5) * 1000:7.1f} ms"
                    f"  p95 {percentile(values, 0.95) * 1000:7.1f} ms"
                    + f"  {sql / max(paid, 1):5.1f} statements a payment"
                    + ("  (a file line: its chunk's commit)" if kind == "bank" else "")
                )
        with connection.cursor() as c:
            c.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            deadlocks = c.fetchone()[0] - deadlocks0
        app_cpu = sum(r["cpu"] for r in results)
        db_cpu = sum(r["db_cpu"] for r in results)
        statements = sum(r["statements"] for r in results)
        print(
            f"per posting p50 {percentile(all_latencies, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(all_latencies, 0.95) * 1000:.1f} ms; "
            f"{statements / max(posted, 1):.1f} SQL statements a posting (all workers' "
            f"statements / postings); CPU a posting: workers {1000 * app_cpu / max(posted, 1):.2f} ms,"
            f" database backends {1000 * db_cpu / max(posted, 1):.2f} ms "
            f"(of {1000 * elapsed * (os.cpu_count() or 1) / max(posted, 1):.2f} ms of machine "
            f"time a posting on {os.cpu_count()} cores)"
        )
        cpu_each = (app_cpu + db_cpu) / max(posted, 1)
        print(
            f"CPU ceiling: {(os.cpu_count() or 1) / cpu_each if cpu_each else 0:.0f} postings/s "
            f"if the {os.cpu_count()} cores ran only these workers and their backends "
            f"(cores / (worker + backend CPU a posting); commit flushes and lock waits not counted)"
        )
        waiting = sampler.waiting / max(sampler.samples, 1)
        active = sampler.active / max(sampler.samples, 1)
        print(
            f"lock waits: on average {waiting:.2f} of {options.workers} backends waiting on a lock"
            f" ({active:.2f} active); retries after serialization failure or deadlock {retries};"
            f" deadlocks detected by the server {deadlocks}"
        )

        tb = trial_balance()
        repayments = Repayment.objects.filter(status="posted").count()
        unposted = Repayment.objects.filter(status="posted", journal_entry_id__isnull=True).count()
        with connection.cursor() as c:
            # a payment posted twice: a loan with more of the day's repayments than payments
            # offered to it, or more auto-debit repayments than the file's successful lines
            c.execute(
                "SELECT count(*) FROM (SELECT loan_id FROM servicing_repayment "
                "WHERE received_on = %s AND status = 'posted' GROUP BY loan_id "
                "HAVING count(*) > 2) x",
                [DAY],
            )
            twice = c.fetchone()[0]
            c.execute(
                "SELECT (SELECT count(*) FROM servicing_repayment WHERE received_on = %s "
                "AND source = 'auto_debit') - (SELECT count(*) FROM servicing_autodebititem "
                "WHERE result = 'success')",
                [DAY],
            )
            twice += abs(c.fetchone()[0])
        history = len([c for c in cases.values() if c != "arrears"])
        sample = rng.sample(loan_ids, min(options.sample, len(loan_ids)))
        mismatched = 0
        for loan in Loan.objects.filter(pk__in=sample):
            figures = loan_figures(loan=loan)
            balances = loan_balances(loan_id=loan.pk)
            if any(balances.get(code, Decimal("0.00")) != v for code, v in figures.items()):
                mismatched += 1
        print(
            f"trial balance total {tb.total} (debit {tb.debit}, credit {tb.credit}); "
            f"repayments posted {repayments} (history {history} + the day {posted}), "
            f"without a ledger entry {unposted}, posted twice {twice}; "
            f"{len(sample)} sampled loans, {mismatched} not matching their ledger"
        )
        if (
            tb.total != 0
            or twice
            or mismatched
            or errors
            or repayments != history + posted
            or unposted
        ):
            print("FAILED")
            failed = True
            raise SystemExit(1)
        print("OK")
    finally:
        if not options.keep:
            db_drop(BENCH_DB)
        if failed:
            print(f"load average {load_average()}")


if __name__ == "__main__":
    main()
