"""The nightly settlement at scale: one business day for N loans with 2 Celery workers.

    .venv/bin/python bench/eod.py [--loans 1000000] [--sample 10000] [--chunk 10000]
                                  [--workers 2] [--load-rate 10] [--advances N] [--keep] [--reuse]
                                  [--book simple|realistic] [--history-months 6] [--month-end]

`--book realistic` replaces step 2's generated loans by a book cloned from twelve templates made
by the real services (bench/_eod_book.py: the tests' loan factory: product, application, signed
contract, maker-checker disbursement) --history-months before the bench's day (2025-09-16 by
default): 等额本息 with and without a handling fee, 等额本金 with a fee, 先息后本, 弹性尾款
(30 %), a floating loan (LPR + 140 bp), an OEM-subsidised one (1.99 % to the customer), a 直租
lease and a 售后回租 one (their rents invoiced each night), one whose last two instalments are
unpaid (penalty, overdue), one overpaying each instalment (suspense) and one restructured by the
real service (schedule version 2). The months of nights run on the templates with the batch's
own accrual, due, lease invoicing and delinquency chunks, each instalment paid on its due date
through `repayment_post`; then each template is copied set-based (INSERT ... SELECT: loan,
schedule rows, delinquency row, lease asset, OEM subsidy, lease invoices, and its journal: per-
loan entries per clone, the batch's entries once per block of --chunk loans carrying every
clone's lines, as the batch's own entries do) with the ledger's triggers ON, so every copied
entry is checked as a posted one, one transaction a block (the lines' per-row foreign-key
triggers off inside it, what they prove checked by construction). The projected disk is printed (and
the run refused when it does not fit) before anything is built. The loads are not measured; the
measured batch runs on the same tables with the same triggers. The mix is printed; no opening
entry is needed (the ledger is the templates' real journal), and the batch's reconciliation
step must still find 0 differences.

`--month-end`: after the daily batch, the month-end bodies of the registry's monthly steps on
the same book, each timed and printed apart from the batch: `provisions` (the ECL run of every
open loan, `provision_run_compute`) and `credit_reporting` (the first-negative notices and the
monthly records of every account, bench/month_end.py's feed).

1. Checks free disk (about 9 KB per loan: the loan, ~36 schedule rows and their indexes, a day's
   ledger lines and snapshot) and says what the run needs.
2. Creates a scratch database `autofin_bench_eod` (dropped at the end unless --keep; --reuse
   measures a fresh copy of the book --generate-only kept in `<db>_book`, else the database as
   it is), migrates it and generates N loans in SQL (generate_series, no ORM):
   12–60 month equal-principal loans valued over the past months, their full schedules (rows
   due before the business date paid), one in thirteen loans with 1–3 instalments unpaid; and
   --advances floor-plan advances (库存融资; 50,000 at a million loans, a twentieth of the loans
   on a smaller book) on one line per 500 advances, funded over the past 200 days, with their
   opening balance on the floor-plan receivable.
3. The naive reference: `loans_accrue`, the per-loan loop of `loan_accrue` (interest, fees,
   penalty, row and loan status) over a --sample of loans, one ORM loop, rolled back: loans per
   second.
4. Starts --workers Celery workers (concurrency 1 each, Redis db of REDIS_URL), an online load
   (payoff quotes and repayments, two processes at --load-rate requests/s in all) measured for
   20 s before the batch and during it, then closes one business day through the chord
   dispatch (`eod_batch_start`) and polls it.
   An opening ledger entry gives every loan the balances its stored figures say, so the
   batch's reconciliation step checks a clean book.
5. Prints per-step time (the reconciliation step's and the floor-plan steps' among them), loans
   per second and seconds per 1,000 loans (so the 1,000,000-loan extrapolation is explicit), total
   wall time, the ratio to the naive loop (overall, and the accrual step like for like), each
   Celery worker process's peak RSS (target < 500 MB), the online load's p95 and errors without
   and with the batch, and the load average next to every figure. Exits non-zero when the batch
   failed or any registered step has no succeeded step row in it (checked, not assumed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# another name lets two benches share a server (BENCH_EOD_DB=autofin_bench_eod_mine)
BENCH_DB = os.environ.get("BENCH_EOD_DB", "autofin_bench_eod")
DAY = dt.date(2026, 3, 16)
BYTES_PER_LOAN = 9_000


from _common import (  # noqa: E402
    admin_execute,
    database_exists,
    gunicorn_start,
    load_average,
    percentile,
    scratch_database,
    server_url,
    with_db,
)
from _eod_book import disk_check, month_end_steps, realistic_generate  # noqa: E402
from _partitions import partitions_ready  # noqa: E402


def setup_django() -> None:
    os.environ["DATABASE_URL"] = with_db(server_url(), BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autofin.settings")
    os.environ.setdefault("TESTING", "0")
    import django

    django.setup()


def sql(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount


def generate(n: int) -> float:
    """N loans and their schedules, set-based. Returns seconds."""
    from django.db import connection

    t = time.monotonic()
    users = max(1, n // 10)
    sql(
        """
        INSERT INTO autofin_user (password, is_superuser, username, first_name, last_name, email,
                                  is_staff, is_active, date_joined, phone, display_name)
        SELECT '!', false, 'bench' || g, '', '', '', false, true, now(),
               '139' || lpad(g::text, 8, '0'), ''
          FROM generate_series(1, %s) g
        """,
        [users],
    )
    umin = connection.cursor()
    umin.execute("SELECT min(id) FROM autofin_user WHERE username LIKE 'bench%%'")
    umin = umin.fetchone()[0]
    # per loan g: amount, rate, term, months elapsed m (due dates before DAY), unpaid tail u
    base = f"""
        SELECT g, amt, rate, term, m, vd,
               CASE WHEN g %% 13 = 0 THEN least(m, 1 + g %% 3) ELSE 0 END AS u,
               round(amt / term, 2) AS p
          FROM (
            SELECT g, (30000 + (g::bigint * 7919) %% 270000)::numeric(18, 2) AS amt,
                   (0.04 + (g %% 8) * 0.005)::numeric(9, 6) AS rate, 12 * (1 + g %% 5) AS term,
                   1 + (g * 37) %% (12 * (1 + g %% 5) - 1) AS m, (g %% 28) AS dom
              FROM generate_series(1, {n}) g) x
          CROSS JOIN LATERAL (
            SELECT (date_trunc('month', %(day)s::date) - make_interval(months => x.m)
                    + make_interval(days => x.dom))::date AS vd0) v
          CROSS JOIN LATERAL (
            SELECT CASE WHEN (v.vd0 + make_interval(months => x.m))::date < %(day)s::date
                        THEN v.vd0
                        ELSE (v.vd0 - interval '1 month')::date END AS vd) w
    """
    sql("DROP TABLE IF EXISTS bench_base")
    sql(f"CREATE UNLOGGED TABLE bench_base AS {base}", {"day": DAY})
    # m counted from the shifted value date: recompute due dates strictly before DAY
    sql(
        """
        UPDATE bench_base SET m = (extract(year FROM age(%(d)s::date - 1, vd)) * 12
                                   + extract(month FROM age(%(d)s::date - 1, vd)))::int
        """,
        {"d": DAY},
    )
    sql("UPDATE bench_base SET m = least(m, term - 1)")
    sql("UPDATE bench_base SET u = least(u, m)")
    sql(
        f"""
        INSERT INTO servicing_loan
            (id, contract_ref, application_id, customer_id, product_version_id, product_rules,
             dealer_id, amount_financed, annual_rate, customer_rate, penalty_rate, term_months,
             method, value_date, first_due_date, day_count, balloon_amount, fee_per_instalment,
             fees, payees, vehicle, vin, plate, mortgage_status, mortgage_deadline, gps_status,
             gps_deadline, status, status_date, schedule_version, restructure_count, closed_on,
             principal_outstanding, suspense_balance, accrued_through, accrual_period_posted,
             accrual_remainder, schedule_rate, rate_basis, lpr_tenor, lpr_spread_bps,
             next_repricing_date, created_at, updated_at)
        SELECT g, 'BENCH-' || g, NULL, {umin} + g %% {users}, NULL, '{{}}', NULL, amt, rate, NULL,
               round(rate * 1.5, 6), term, 'equal_principal', vd,
               (vd + interval '1 month')::date,
               CASE WHEN g %% 4 = 0 THEN 'ACT/365F' ELSE '30/360' END, 0, 0, '[]', '[]', '',
               'LBENCH' || lpad(g::text, 11, '0'), '', 'done', NULL, 'done', NULL,
               CASE WHEN u > 0 THEN 'overdue' ELSE 'active' END, %(d)s::date - 1, 1, 0, NULL,
               amt - p * (m - u), 0, %(d)s::date - 1, 0, 0, rate,
               -- one loan in three floats on the 1-year LPR (priced at 3.10 %%; the bench sets
               -- 3.00 %% in force, so those reaching their anniversary today reprice)
               CASE WHEN g %% 3 = 0 THEN 'lpr' ELSE 'fixed' END,
               CASE WHEN g %% 3 = 0 THEN '1y' ELSE '' END,
               CASE WHEN g %% 3 = 0 THEN round((rate - 0.031) * 10000)::int END,
               CASE WHEN g %% 3 = 0 AND 12 * ((m + 12) / 12) < term
                    THEN (vd + make_interval(months => 12 * ((m + 12) / 12)))::date END,
               now(), now()
          FROM bench_base
        """,
        {"d": DAY},
    )
    sql("SELECT setval('servicing_loan_id_seq', (SELECT max(id) FROM servicing_loan))")
    # schedule rows: drop the indexes, bulk insert, rebuild. The table is partitioned: the
    # parent's index definition reads "ON ONLY", which would rebuild the parent's (invalid,
    # empty) index and none of the partitions' — every loan look-up then scans whole
    # partitions (the 14-46x slower accrual, auto-debit and reminders of the first
    # partitioned run, docs/scaling.md). Rebuilt without ONLY, each partition gets its index;
    # a unique constraint comes back as a constraint, not a bare index.
    idx = _rows(
        """
        SELECT i.indexname,
               CASE WHEN c.conname IS NOT NULL
                    THEN 'ALTER TABLE servicing_loanschedulerow ADD CONSTRAINT '
                         || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)
                    ELSE replace(i.indexdef, ' ON ONLY ', ' ON ') END
          FROM pg_indexes i
          LEFT JOIN pg_constraint c
            ON c.conname = i.indexname AND c.conrelid = 'servicing_loanschedulerow'::regclass
         WHERE i.tablename = 'servicing_loanschedulerow' AND i.indexname NOT LIKE '%%pkey'
        """
    )
    for name, _def in idx:
        sql(f'ALTER TABLE servicing_loanschedulerow DROP CONSTRAINT IF EXISTS "{name}"')
        sql(f'DROP INDEX IF EXISTS "{name}"')
    sql("SET session_replication_role = replica")  # no per-row FK checks for the bulk load
    sql(
        """
        INSERT INTO servicing_loanschedulerow
            (loan_id, schedule_version, superseded_by_version, instalment_no, due_date,
             accrual_start, opening_balance, principal, interest, fee, instalment,
             closing_balance, principal_paid, interest_paid, fee_paid, penalty, penalty_paid,
             status, paid_on, penalty_through)
        SELECT b.g, 1, NULL, k, (b.vd + make_interval(months => k))::date,
               (b.vd + make_interval(months => k - 1))::date, ob, pr, it, 0, pr + it, ob - pr,
               CASE WHEN paid THEN pr ELSE 0 END, CASE WHEN paid THEN it ELSE 0 END, 0, 0, 0,
               CASE WHEN paid THEN 'paid' WHEN k <= b.m THEN 'overdue' ELSE 'pending' END,
               CASE WHEN paid THEN (b.vd + make_interval(months => k))::date END,
               CASE WHEN NOT paid AND k <= b.m THEN %(d)s::date - 1 END
          FROM bench_base b
          CROSS JOIN LATERAL generate_series(1, b.term) k
          CROSS JOIN LATERAL (
            SELECT b.amt - b.p * (k - 1) AS ob,
                   CASE WHEN k = b.term THEN b.amt - b.p * (b.term - 1) ELSE b.p END AS pr,
                   round((b.amt - b.p * (k - 1)) * b.rate / 12, 2) AS it,
                   k <= b.m - b.u AS paid) c
        """,
        {"d": DAY},
    )
    sql("SET session_replication_role = DEFAULT")
    for _name, definition in idx:
        sql(definition)
    invalid = _rows(
        "SELECT indexrelid::regclass::text FROM pg_index"
        " WHERE indrelid = 'servicing_loanschedulerow'::regclass AND NOT indisvalid"
    )
    if invalid:
        sys.exit(f"schedule-row indexes left invalid after the load: {invalid}")
    sql("DROP TABLE bench_base")
    opening_balances()
    sql("VACUUM ANALYZE servicing_loan")
    sql("VACUUM ANALYZE servicing_loanschedulerow")
    sql("VACUUM ANALYZE servicing_journalline")
    return time.monotonic() - t


def opening_balances() -> None:
    """The ledger a real book would have: one opening entry whose lines carry each loan's stored
    figures (the very query the nightly reconciliation compares against), so the batch's
    reconciliation step has a clean book to check, at its real cost."""
    from django.db import transaction

    from servicing.selectors.loans import loan_figures_sql

    figures = loan_figures_sql(scope="BETWEEN %(lo)s AND %(hi)s")

    # the entry and its lines in one transaction: an entry without lines is refused at commit
    with transaction.atomic():
        entry = _rows(
            """
            INSERT INTO servicing_journalentry
                (business_date, source_type, source_id, loan_id, description, idempotency_key,
                 reverses_id, created_by_id, created_by_label)
            VALUES (%s::date - 1, 'adjustment', 'bench-opening', NULL, 'bench opening balances',
                    'bench-opening', NULL, NULL, 'bench')
            RETURNING id
            """,
            [DAY],
        )[0][0]
        # one statement: the ledger's guard checks the entry's lines as a set
        sql(
            f"""
            WITH f AS ({figures})
            INSERT INTO servicing_journalline
                (entry_id, account_id, side, amount, loan_id, business_date)
            SELECT %(entry)s, a.id, x.side, x.amount, x.loan_id, e.business_date
              FROM f
              JOIN servicing_journalentry e ON e.id = %(entry)s
             CROSS JOIN LATERAL (VALUES
                    ('principal_receivable', 'D', f.schedule_principal, f.loan_id),
                    ('interest_receivable', 'D', f.interest, f.loan_id),
                    ('bank_clearing', 'C', f.schedule_principal + f.interest, f.loan_id)
                   ) AS x(code, side, amount, loan_id)
              JOIN servicing_ledgeraccount a ON a.code = x.code
             WHERE x.amount > 0
            """,  # noqa: S608 - SQL built from constants; values are bound
            {"entry": entry, "lo": 0, "hi": 2**62},
        )


def floorplan_generate(n: int) -> float:
    """N funded floor-plan advances on one line per 500 (their dealers and lines made by the
    ORM, the advances by one INSERT ... SELECT), funded 1-200 days before the business date,
    and their opening balance on the floor-plan receivable. Returns seconds."""
    from decimal import Decimal

    from django.db import transaction

    from autofin.models import User
    from dealers.models.dealers import Dealer
    from origination.models.floorplan import FloorplanLine

    t = time.monotonic()
    lines = max(1, -(-n // 500))
    uw = User.objects.create(username="bench-uw", password="!")  # noqa: S106 - unusable
    dealers = Dealer.objects.bulk_create(
        Dealer(legal_name=f"库存融资测试经销商 {i}", uscc=f"BENCH{i:013d}", dealer_type="four_s",
               province="上海市", city="上海市", status="active")
        for i in range(lines)
    )  # fmt: skip
    made = FloorplanLine.objects.bulk_create(
        FloorplanLine(dealer=d, limit=Decimal("500000000.00"), annual_rate=Decimal("0.060000"),
                      approved_by=uw, approved_at=timezone_now())
        for d in dealers
    )  # fmt: skip
    _bench_lines([m.pk for m in made])
    with transaction.atomic():
        entry = _rows(
            """
            INSERT INTO servicing_journalentry
                (business_date, source_type, source_id, loan_id, description, idempotency_key,
                 reverses_id, created_by_id, created_by_label)
            VALUES (%s::date - 1, 'adjustment', 'bench-floorplan', NULL,
                    'bench floor-plan opening balances', 'bench-floorplan', NULL, NULL, 'bench')
            RETURNING id
            """,
            [DAY],
        )[0][0]
        sql(
            """
            INSERT INTO servicing_floorplanadvance
                (line_id, dealer_id, dealer_name, vin, model_name, invoice_price,
                 oem_invoice_number, amount, annual_rate, curtailment_plan, status, payee_kind,
                 payee_id, payee_name, account_name, bank_name, account_number_enc,
                 account_number_masked, requested_by_id, requested_at, approved_by_id,
                 approved_at, needs_checker, released_by_id, released_at, rejected_reason,
                 business_date, idempotency_key, bank_status, sends, sent_at, bank_ref,
                 failure_reason, journal_entry_id, funded_on, due_on, principal_outstanding,
                 interest_accrued_unpaid, accrued_through, accrual_remainder,
                 certificate_status, certificate_no, certificate_received_on,
                 certificate_released_on, settled_on, overdue, overdue_since, created_at,
                 updated_at)
            SELECT l.id, l.dealer_id, 'bench', 'LFPBENCH' || lpad(g::text, 9, '0'), '帕萨特',
                   x.amount + 5000, 'INV' || g, x.amount, 0.06, '[[90, 10], [120, 30], [180, 100]]',
                   'funded', 'dealer', l.dealer_id, 'bench', 'bench', 'bench', 'x', '****', %(uw)s,
                   now(), %(uw)s, now(), false, %(uw)s, now(), '', x.funded_on,
                   'bench-fp-' || g, 'succeeded', 1, now(), '', '', %(entry)s, x.funded_on,
                   x.funded_on + 180, x.amount, 0, %(d)s::date - 1, 0, 'held', 'HGZ' || g,
                   x.funded_on, NULL, NULL, false, NULL, now(), now()
              FROM generate_series(1, %(n)s) g
              JOIN bench_fp_lines l ON l.n = (g - 1) %% %(lines)s
             CROSS JOIN LATERAL (
                   SELECT (80000 + (g::bigint * 7919) %% 320000)::numeric(18, 2) AS amount,
                          %(d)s::date - 1 - (g %% 200) AS funded_on) x
            """,
            {"uw": uw.pk, "entry": entry, "d": DAY, "n": n, "lines": lines},
        )
        sql(
            """
            INSERT INTO servicing_journalline
                (entry_id, account_id, side, amount, loan_id, dealer_id, floorplan_advance_id,
                 business_date)
            SELECT %(entry)s, acc.id, x.side, x.amount, NULL, x.dealer_id, x.advance_id,
                   (SELECT business_date FROM servicing_journalentry WHERE id = %(entry)s)
              FROM (SELECT 'floorplan_receivable' AS code, 'D' AS side, a.amount,
                           a.dealer_id, a.id AS advance_id
                      FROM servicing_floorplanadvance a
                    UNION ALL
                    SELECT 'bank_clearing', 'C', sum(a.amount), NULL, NULL
                      FROM servicing_floorplanadvance a) x
              JOIN servicing_ledgeraccount acc ON acc.code = x.code
            """,
            {"entry": entry},
        )
        sql("DROP TABLE bench_fp_lines")
    sql("VACUUM ANALYZE servicing_floorplanadvance")
    return time.monotonic() - t


def _bench_lines(line_ids: list[int]) -> None:
    """A scratch table numbering the bench's lines 0..n-1, for the advances' round robin."""
    sql("DROP TABLE IF EXISTS bench_fp_lines")
    sql(
        "CREATE UNLOGGED TABLE bench_fp_lines AS"
        " SELECT (u.n - 1)::int AS n, l.id, l.dealer_id FROM unnest(%s::bigint[]) WITH ORDINALITY"
        " AS u(id, n) JOIN origination_floorplanline l ON l.id = u.id",
        [line_ids],
    )


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def _rows(statement: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall()


def loans_accrue(*, loan_ids: list[int], through: dt.date, actor: str = "eod") -> int:
    """The naive per-loan accrual loop the set-based batch replaced (once the batch's accrual
    step, servicing.services.accrual): `loan_accrue` on each loan in turn, one ORM loop."""
    from servicing.services.accrual import loan_accrue

    for loan_id in loan_ids:
        loan_accrue(loan_id=loan_id, through=through, actor=actor, business_date=through)
    return len(loan_ids)


def naive(sample: int) -> tuple[int, float]:
    """The per-loan reference over a sample (rolled back): (loans, seconds)."""
    from django.db import transaction

    n_loans = _rows("SELECT max(id) FROM servicing_loan")[0][0]
    rng = random.Random(7)
    ids = sorted(rng.sample(range(1, n_loans + 1), min(sample, n_loans)))

    class Rollback(Exception):
        pass

    t = time.monotonic()
    try:
        with transaction.atomic():
            loans_accrue(loan_ids=ids, through=DAY)
            elapsed = time.monotonic() - t
            raise Rollback
    except Rollback:
        pass
    return len(ids), elapsed


def online_load(stop_at: float, rate: float, n_loans: int, out: mp.Queue, seed: int) -> None:
    """Payoff quotes and repayments on random loans at `rate` requests/s, until stop_at."""
    setup_django()
    from django.db import connections

    from servicing.services.repayments.posting import repayment_post
    from servicing.services.settlement.early import payoff_quote_issue

    rng = random.Random(seed)
    i = 0
    while time.time() < stop_at:
        started = time.time()
        loan_id = rng.randint(1, n_loans)
        kind = "quote" if i % 2 else "repayment"
        ok = True
        error = ""
        try:
            if kind == "quote":
                try:
                    payoff_quote_issue(loan_id=loan_id, actor="bench")
                except Exception as exc:  # noqa: BLE001 - business refusals are answers
                    if exc.__class__.__name__ not in ("LoanError", "RepaymentError"):
                        raise
            else:
                repayment_post(
                    loan_id=loan_id, amount="100.00", source="online", actor="bench",
                    idempotency_key=f"bench-{seed}-{i}",
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            ok = False
            error = f"{exc.__class__.__name__}: {exc}"[:200]
        out.put((started, time.time() - started, kind, ok, error))
        i += 1
        time.sleep(max(0.0, 1.0 / rate - (time.time() - started)))
    connections.close_all()


def _steps_not_succeeded(batch) -> list[str]:
    """Every registered step must have a succeeded step row in this batch: checked, not assumed."""
    from servicing.eod.registry import steps_ordered
    from servicing.models.eod import StepRun

    done = set(
        StepRun.objects.filter(batch=batch, status="succeeded").values_list("code", flat=True)
    )
    return [s.code for s in steps_ordered() if s.code not in done]


def _rss_sample(workers, peaks: dict[int, int]) -> None:
    """The RSS of each worker and its pool children, the largest seen so far per process."""
    import psutil

    for w in workers:
        try:
            proc = psutil.Process(w.pid)
            for p in [proc, *proc.children(recursive=True)]:
                peaks[p.pid] = max(peaks.get(p.pid, 0), p.memory_info().rss)
        except psutil.Error:
            continue


def _rss_peaks(workers, peaks: dict[int, int]) -> dict[int, int]:
    """The kernel's high-water mark (VmHWM) where it is readable, else the sampled peak."""
    _rss_sample(workers, peaks)
    for pid in list(peaks):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = max(peaks[pid], int(line.split()[1]) * 1024)
        except OSError:
            pass
    return peaks


# --- the online load over HTTP (--online http) ------------------------------------------------

HTTP_PORT = int(os.environ.get("BENCH_EOD_PORT", "18790"))


def http_tokens() -> dict[int, str]:
    """{customer id: API token} for every borrower of the book (a customer sees only their own
    loans, so each request goes out under its loan's owner)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    member = get_user_model().groups.through

    borrowers = [r[0] for r in _rows("SELECT DISTINCT customer_id FROM servicing_loan")]
    keys = dict(Token.objects.filter(user_id__in=borrowers).values_list("user_id", "key"))
    # in bulk: one get_or_create a customer took 7 minutes for the 1M book's 100,000 borrowers
    missing = [Token(user_id=u, key=Token.generate_key()) for u in borrowers if u not in keys]
    Token.objects.bulk_create(missing, batch_size=5000)
    keys.update((t.user_id, t.key) for t in missing)
    # the SQL generator's borrowers are bare users: the customer role is what lets them pay
    group = Group.objects.get_or_create(name="customer")[0]
    member.objects.bulk_create(
        [member(user_id=u, group_id=group.pk) for u in borrowers],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return keys


def http_client(stop, owners: list[tuple[int, int]], tokens: dict, out, seed: int):
    """One closed-loop client: the customer's payoff quote, then the customer's online repayment
    (POST payments/ → the provider's signed callback, as the sandbox provider sends it), on a
    random loan, each next request only after the previous reply."""
    import http.client
    import json

    from servicing.adapters import SandboxPaymentProvider, _callback_path

    provider = SandboxPaymentProvider()
    callback = _callback_path()
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=60)
    i = 0

    def call(path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        conn.request("POST", path, body, {"Content-Type": "application/json", **headers})
        reply = conn.getresponse()
        return reply.status, reply.read()

    while not stop.is_set():
        loan_id, customer_id = owners[rng.randrange(len(owners))]
        auth = {"Authorization": f"Token {tokens[customer_id]}"}
        kind = "quote" if i % 2 else "repayment"
        key = {"Idempotency-Key": f"bench-http-{seed}-{i}"}
        started = time.time()
        ok, error = True, ""
        try:
            if kind == "quote":
                st, body = call(f"/api/v1/loans/{loan_id}/payoff-quotes/", b"{}", auth | key)
                # a business refusal (400, e.g. a loan in its lock-in) is an answer, not an error
                ok = st in (201, 400)
            else:
                st, body = call(
                    f"/api/v1/loans/{loan_id}/payments/", b'{"amount": "100.00"}', auth | key
                )
                ok = st == 201
                if ok:
                    ref = json.loads(body)["provider_ref"]
                    payload = provider.callback_payload(provider_ref=ref, amount=Decimal("100.00"))
                    headers, signed = provider.callback_signed(payload)
                    st, body = call(callback, signed, headers)
                    ok = st == 200
            if not ok:
                error = f"{kind} {st}: {body[:160]!r}"
        except (OSError, http.client.HTTPException) as exc:
            ok, error = False, f"{exc.__class__.__name__}: {exc}"[:200]
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=60)
        out.put((started, time.time() - started, kind, ok, error))
        i += 1
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load-rate", type=float, default=10.0)
    parser.add_argument(
        "--advances",
        type=int,
        default=None,
        help="floor-plan advances (default: loans / 20, at most 50,000)",
    )
    parser.add_argument(
        "--book",
        choices=("simple", "realistic"),
        default="simple",
        help="simple: equal-principal loans in SQL; realistic: templates through the real "
        "services with --history-months of history, cloned set-based",
    )
    parser.add_argument(
        "--history-months",
        type=int,
        default=6,
        help="realistic book: months of nights and payments each template has lived (>= 3)",
    )
    parser.add_argument(
        "--month-end",
        action="store_true",
        help="after the batch, time the month-end steps (provisions, credit reporting) apart",
    )
    parser.add_argument(
        "--online",
        choices=("process", "http"),
        default="process",
        help="process: 2 processes calling the services at --load-rate; http: --clients "
        "closed-loop customers over HTTP against gunicorn (token auth)",
    )
    parser.add_argument("--clients", type=int, default=4, help="closed-loop HTTP clients")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep an already generated book")
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="build the book and stop (kept): a later --reuse measures it on a quiet machine",
    )
    args = parser.parse_args()

    data_dir = "/var/lib/postgresql" if os.path.isdir("/var/lib/postgresql") else "/"
    if args.history_months < 3:
        sys.exit("--history-months: at least 3 (the restructured and overdue templates need them)")
    if args.book == "realistic":
        disk_check(args.loans, args.history_months, data_dir)
    need = args.loans * BYTES_PER_LOAN
    free = shutil.disk_usage(data_dir).free
    print(
        f"disk: needs about {need / 1e9:.1f} GB for {args.loans:,} loans; free {free / 1e9:.1f} GB"
    )
    if free < need * 1.5:
        sys.exit("not enough free disk")
    # the kept book: --generate-only copies the generated book to BOOK_DB, untouched by any
    # batch; --reuse measures a fresh copy of it, so every run starts from the same night (the
    # measured database itself has closed DAY: its loans are accrued through it)
    book_db = f"{BENCH_DB}_book"
    if not args.reuse:
        scratch_database(BENCH_DB)
    elif database_exists(book_db):
        admin_execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin_execute(f"CREATE DATABASE {BENCH_DB} TEMPLATE {book_db}")
        print(f"book restored from {book_db}")
    setup_django()
    from django.conf import settings

    from autofin.business_date import business_date_set
    from servicing.models.eod import BatchRun, StepRun
    from servicing.models.loans import Loan

    # the realistic book's journal reaches back to its templates' value date
    back = args.history_months + 1 if args.book == "realistic" else 1
    print(partitions_ready(DAY, months_back=back))
    if not (args.reuse and Loan.objects.exists()):
        print(f"generating {args.loans:,} loans ...", flush=True)
        if args.book == "realistic":
            seconds = realistic_generate(
                args.loans, day=DAY, history_months=args.history_months, chunk=args.chunk
            )
        else:
            seconds = generate(args.loans)
        rows = _rows("SELECT count(*) FROM servicing_loanschedulerow")[0][0]
        print(f"generated {args.loans:,} loans, {rows:,} schedule rows in {seconds:.0f} s")
        advances = args.advances if args.advances is not None else min(50_000, args.loans // 20)
        if advances:
            seconds = floorplan_generate(advances)
            print(f"generated {advances:,} floor-plan advances in {seconds:.0f} s")
    if args.generate_only:
        from django.db import connections

        connections.close_all()  # a template database must have no session
        admin_execute(f"DROP DATABASE IF EXISTS {book_db}")
        admin_execute(f"CREATE DATABASE {book_db} TEMPLATE {BENCH_DB}")
        print(f"book kept in {book_db}: each --reuse run measures a fresh copy of it")
        return
    n_loans = _rows("SELECT max(id) FROM servicing_loan")[0][0]
    overdue = _rows("SELECT count(*) FROM servicing_loan WHERE status = 'overdue'")[0][0]
    print(f"book: {n_loans:,} loans, {overdue:,} overdue; business date {DAY}; "
          f"load average {load_average()}")  # fmt: skip
    business_date_set(actor="bench", date=DAY, reason="bench")
    from decimal import Decimal

    from origination.models import LprRate

    # the LPR the floating loans reprice on (10 bp below the 3.10 % they were priced on)
    LprRate.objects.get_or_create(
        tenor="1y", effective_date=dt.date(2025, 1, 20), defaults={"rate": Decimal("0.030000")}
    )

    sample, naive_s = naive(args.sample)
    naive_rate = sample / naive_s
    print(f"naive per-loan loop (loan_accrue, 1 process): {sample:,} loans in {naive_s:.1f} s = "
          f"{naive_rate:,.0f} loans/s (load average {load_average()})")  # fmt: skip

    env = dict(os.environ)
    env["EOD_CHUNK_SIZE"] = str(args.chunk)
    redis_url = settings.REDIS_URL
    from redis import Redis

    Redis.from_url(redis_url).flushdb()  # this bench's own Redis db
    logs = [open(f"/tmp/eodbench{i}.log", "w") for i in range(args.workers)]  # noqa: SIM115
    workers = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "autofin",
                "worker",
                "-c",
                "1",
                "-n",
                f"eodbench{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs[i],
        )  # fmt: skip
        for i in range(args.workers)
    ]
    server = None
    try:
        time.sleep(6)
        # online load: baseline for 20 s, then during the batch
        queue: mp.Queue = mp.Queue()
        baseline_end = time.time() + 20
        horizon = time.time() + 3600
        if args.online == "http":
            import threading

            from _common import env_for

            tokens = http_tokens()
            owners = _rows("SELECT id, customer_id FROM servicing_loan")
            media = f"/tmp/{BENCH_DB}_media"
            server, _argv = gunicorn_start(
                env_for(os.environ["DATABASE_URL"], media, redis_url), port=HTTP_PORT, workers=2
            )
            baseline_end = time.time() + 20
            stop = threading.Event()
            loaders = [
                threading.Thread(
                    target=http_client, args=(stop, owners, tokens, queue, s), daemon=True
                )
                for s in range(args.clients)
            ]
        else:
            loaders = [
                mp.Process(
                    target=online_load,
                    args=(horizon, args.load_rate / 2, n_loans, queue, s),
                    daemon=True,
                )
                for s in (1, 2)
            ]
        from django.db import connections

        connections.close_all()  # a forked child must not share the parent's connection
        for p in loaders:
            p.start()
        time.sleep(max(0, baseline_end - time.time()))
        from servicing.tasks.eod import eod_batch_start

        load_before = load_average()
        t0 = time.time()
        eod_batch_start.delay(DAY.isoformat())
        batch = None
        peaks: dict[int, int] = {}
        while True:
            time.sleep(1)
            _rss_sample(workers, peaks)
            batch = BatchRun.objects.filter(business_date=DAY).first()
            if batch and batch.status in ("succeeded", "failed"):
                break
            if time.time() - t0 > 3000:
                print("timeout")
                break
        t1 = time.time()
        load_during = load_average()
        rss_peaks = _rss_peaks(workers, peaks)
        if args.online == "http":
            stop.set()
            for p in loaders:
                p.join(60)
        else:
            for p in loaders:
                p.terminate()
        samples = []
        while not queue.empty():
            samples.append(queue.get())
        for p in loaders:
            p.join(5)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                w.kill()
    wall = t1 - t0
    print(f"\nbatch {batch.business_date}: {batch.status} {batch.error[:300]}")
    print(f"load average at the batch's end: {load_during}")
    print(f"{'step':<24}{'seconds':>9}{'loans/s':>12}{'s/1k loans':>10}  result")
    steps = 0
    accrual_rate = 0.0
    for run in StepRun.objects.filter(batch=batch).order_by("position"):
        steps += 1
        secs = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        keep = {
            k: v for k, v in run.result.items() if k not in ("movements", "finalize", "prepare")
        }
        print(f"{run.code:<24}{secs:9.1f}{(n_loans / secs if secs else 0):12,.0f}"
              f"{secs * 1000 / n_loans:10.3f}  {keep}")  # fmt: skip
        if run.code == "accrual" and secs:
            accrual_rate = n_loans / secs
    n_advances = _rows("SELECT count(*) FROM servicing_floorplanadvance")[0][0]
    for run in StepRun.objects.filter(batch=batch, code__startswith="floorplan").order_by(
        "position"
    ):
        secs = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        print(f"floor-plan step {run.code}: {secs:.1f} s for {n_advances:,} advances"
              f" = {(n_advances / secs if secs else 0):,.0f} advances/s")  # fmt: skip
    rate = n_loans / wall
    print(f"1,000,000-loan extrapolation (linear): {wall * 1_000_000 / n_loans:,.0f} s "
          f"(load average {load_during})")  # fmt: skip
    # per-1k-loan cost, to compare book sizes (linear growth) and runs with or without partitions
    lines = _rows("SELECT count(*) FROM servicing_journalline WHERE business_date = %s", [DAY])
    print(f"per 1,000 loans: {wall / n_loans * 1000:.3f} s of batch wall time; "
          f"{lines[0][0] / n_loans:.2f} ledger lines per loan posted for the day")  # fmt: skip
    print(partitions_ready(DAY, months_back=1))
    print(f"\ntotal wall time {wall:.1f} s for {n_loans:,} loans = {rate:,.0f} loans/s "
          f"with {args.workers} workers")  # fmt: skip
    print(f"ratio to the naive per-loan loop: {rate / naive_rate:.1f}x "
          f"(naive {naive_rate:,.0f} loans/s in one process, accrual only; the batch does all "
          f"{steps} steps)")  # fmt: skip
    if accrual_rate:
        print(f"accrual step like for like: batch {accrual_rate:,.0f} loans/s / naive "
              f"{naive_rate:,.0f} loans/s = {accrual_rate / naive_rate:.1f}x")  # fmt: skip
    for pid, peak in rss_peaks.items():
        verdict = "within" if peak < 500 * 2**20 else "OVER"
        print(f"celery worker process {pid}: peak RSS {peak / 2**20:,.0f} MB "
              f"({verdict} the 500 MB target)")  # fmt: skip
    missing = _steps_not_succeeded(batch)
    before = [s for s in samples if s[0] < t0]
    during = [s for s in samples if t0 <= s[0] <= t1]
    for label, group, load in (
        ("without batch", before, load_before),
        ("during batch", during, load_during),
    ):
        lat = [s[1] * 1000 for s in group if s[3]]
        errors = [s for s in group if not s[3]]
        print(
            f"online load {label}: {len(group)} requests, p95 {percentile(lat, 0.95):.0f} ms, "
            f"median {percentile(lat, 0.5):.0f} ms, errors {len(errors)} (load average {load})"
        )
        for kind in ("quote", "repayment"):
            own = [s[1] * 1000 for s in group if s[3] and s[2] == kind]
            print(f"    {kind}: {len(own)} ok, p95 {percentile(own, 0.95):.0f} ms")
        for e in errors[:3]:
            print("   ", e[2], e[4])
    p95s = [percentile([s[1] * 1000 for s in g if s[3]], 0.95) for g in (before, during)]
    if before and during:
        from autofin.online_latency import idle_p95

        print(f"online p95 during the batch / without it: {p95s[1] / p95s[0]:.1f}x "
              f"(target <= 2x); the batch's idle figure (taken at its opening): "
              f"{idle_p95()} ms")  # fmt: skip
    if missing:
        print(f"registered steps that did not run and succeed: {missing}")
    if args.month_end:
        month_end_steps(DAY)
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    if missing or batch.status != "succeeded":
        sys.exit(1)


if __name__ == "__main__":
    main()
