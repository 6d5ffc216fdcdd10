"""Court lists (被执行人, 失信被执行人) into the one watch-list store, matched against the whole
book by ID hash (issue #17 boundaries): a borrower on the dishonest-debtor list raises the strong
COURT_ENFORCEMENT early warning (risk level high, a task) and a screening hit in the compliance
queue; the same name under another ID raises nothing; reloading the same file, by the drop
folder or the command, adds nothing twice; a file without ID numbers is refused whole."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from autofin.crypto import decrypt
from origination.models.applications import Applicant
from risk.models import EarlyWarningHit, ScreeningHit, WatchListEntry, WatchListLoad
from servicing.eod.registry import StepContext
from servicing.eod.steps.court_lists import court_lists_step
from servicing.models.collections import LoanRiskProfile, LoanTask
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)
HEADER = "case_no,name,id_number,court,filed_on,amount\n"


def _ctx() -> StepContext:
    return StepContext(business_date=DAY, batch_id=0, step_id=0)


def _counts() -> tuple[int, ...]:
    return (
        WatchListEntry.objects.count(),
        EarlyWarningHit.objects.count(),
        ScreeningHit.objects.count(),
        LoanTask.objects.count(),
    )


@pytest.fixture
def book():
    """Two funded loans; the first one's borrower is on the court feed's file."""
    on_list = make_loan()
    other = make_loan(customer=UserFactory(phone="13700099002"))
    set_day(DAY)
    borrower = Applicant.objects.get(application_id=on_list.application_id, role="primary")
    return on_list, other, borrower, decrypt(borrower.id_number_enc)


def test_a_borrower_on_the_dishonest_debtor_list_raises_the_strong_rule_and_a_compliance_hit(
    book, tmp_path, settings
):
    on_list, other, borrower, id_number = book
    (tmp_path / "dishonest_debtor_20260310.csv").write_text(
        HEADER
        + f"(2026)沪0115执1234号,{borrower.name},{id_number},上海市浦东新区人民法院,2026-03-02,85000.00\n"
        # the other borrower's name under someone else's ID: matched by ID hash only
        + "(2026)京0105执0001号,同名不同人,110105198505052345,北京市朝阳区人民法院,2026-01-05,\n",
        encoding="utf-8",
    )
    settings.COURT_LIST_DROP_DIR = str(tmp_path)

    assert court_lists_step(_ctx(), 0, 0) == {"files": 1, "loans": 1, "raised": 1, "hits": 1}

    entry = WatchListEntry.objects.get(external_ref="(2026)沪0115执1234号")
    assert (entry.list_type, entry.source, entry.active) == (
        "dishonest_debtor",
        "失信被执行人名单",
        True,
    )
    assert "上海市浦东新区人民法院" in entry.note and id_number not in str(entry.__dict__)
    [warning] = EarlyWarningHit.objects.all()
    assert (warning.loan_ref, warning.rule_code, warning.strength) == (
        on_list.contract_ref, "COURT_ENFORCEMENT", "strong",
    )  # fmt: skip
    assert warning.evidence["entries"] == [
        {"entry": entry.pk, "role": "primary", "list_type": "dishonest_debtor"}
    ]
    assert LoanRiskProfile.objects.get(loan=on_list).level == "high"
    assert not LoanRiskProfile.objects.filter(loan=other).exists()
    task = LoanTask.objects.get(loan=on_list)
    assert (task.kind, task.detail["rules"]) == ("early_warning", ["COURT_ENFORCEMENT"])
    [hit] = ScreeningHit.objects.all()
    assert (hit.subject_name, hit.entry_id, hit.score, hit.status, hit.trigger) == (
        borrower.name, entry.pk, 100, "open", "court_list",
    )  # fmt: skip
    assert hit.explanation == [{"part": "id", "reason": "same_id", "effect": 100}]

    # the next night: the same file in the folder is not loaded again, nothing is raised twice
    before = _counts()
    loads = WatchListLoad.objects.count()
    assert court_lists_step(_ctx(), 0, 0) == {"files": 0, "loans": 0, "hits": 0}
    # an operator loads the same file again by hand: nothing added, changed or raised
    call_command(
        "load_court_list",
        str(tmp_path / "dishonest_debtor_20260310.csv"),
        "--list",
        "dishonest_debtor",
    )
    assert WatchListLoad.objects.order_by("-id").values_list("added", "changed", "removed")[0] == (
        0, 0, 0,
    )  # fmt: skip
    assert WatchListLoad.objects.count() == loads + 1
    assert court_lists_step(_ctx(), 0, 0)["loans"] == 0
    assert _counts() == before


def test_a_court_file_without_id_numbers_is_refused_whole(book, tmp_path):
    _on_list, _other, borrower, id_number = book
    path = tmp_path / "court_enforcement.csv"
    path.write_text(
        HEADER
        + f"(2026)沪0115执0002号,{borrower.name},{id_number},上海市浦东新区人民法院,2026-03-02,\n"
        + "(2026)沪0115执0003号,某某,,上海市浦东新区人民法院,2026-03-02,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="第 3 行：法院名单须有身份证号"):
        call_command("load_court_list", str(path), "--list", "court_enforcement")
    assert (WatchListLoad.objects.count(), *_counts()) == (0, 0, 0, 0, 0)
