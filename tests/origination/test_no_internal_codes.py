"""Nothing internal reaches a customer or a dealer: on the demo world, every page reachable by
links from a customer's and a dealer salesperson's landing page, and every SMS and e-mail sent
to them, is free of rule and fraud codes, scores and Python reprs.

Also: the review step of a seeded application (it answered 500: the template's
``problems.items`` read the "items" step's list), and the timeline in Chinese states."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest

from autofin.models.messages import OutboundMessage
from autofin.roles import Role, user_has_role
from autofin.seed import users as autofin_seed
from dealers import seed as dealers_seed
from dealers.models.dealers import Dealer
from dealers.models.staff import DealerStaff
from dealers.services import dealer_grades_recompute
from origination.customer_texts import customer_reason, status_note
from origination.models.applications import Application, ApplicationEvent
from origination.seed import seed as origination_seed
from origination.services.applications.decision import risk_decision_ref
from origination.services.contracts import pdf
from tests.dealers.test_grading import GOOD_MONTH

pytestmark = pytest.mark.django_db

CODE = re.compile(r"[A-Z][0-9]{2}_[A-Z_]+")  # also a PostgreSQL regex
REPR = re.compile(r"\{'|\bNone\b|\bTrue\b|\bFalse\b")
# a score's value, a tier (the consent texts may name 信用评分 as a purpose: that is no leak)
SCORE = re.compile(
    r"(评分|信用分|分数|得分|score)\s*[：:=]?\s*\d+|风险等级|\btier\b|[A-E]\s*档", re.I
)
# a "·" separator with nothing on one side of it in its block (a row whose optional part is empty)
DANGLING = re.compile(
    r"·(?:\s|&nbsp;)*(?:<br\b[^>]*>|</(?:li|p|td|dd|dt|div|h\d|small|section)>)"
    r"|<(?:li|p|td|dd|dt|div|h\d|small)\b[^>]*>(?:\s|&nbsp;)*·|·(?:\s|&nbsp;)*·"
)
ENGLISH_STATES = re.compile(r"automated decision|\bapprove\b|\bfunded\b|underwriter approved")
# links a crawl must not follow: leaving, files, and POST-only actions reached by GET
SKIP = re.compile(r"^/(static|media|admin|logout|accounts/logout|i18n)|\.(pdf|csv|png|jpg)$")


class _Page(HTMLParser):
    """The visible text of a page (no script or style) and its links."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def leaks(text: str) -> list[str]:
    """What a customer or dealer must never read in ``text``."""
    found = []
    for pattern in (CODE, REPR, SCORE, ENGLISH_STATES):
        found += [m.group(0) for m in pattern.finditer(text)]
    return found


def crawl(client, start: str, limit: int = 120, seen: set | None = None) -> dict[str, list[str]]:
    """GET every same-site page linked from ``start`` (breadth first, up to ``limit``); the
    problems found per URL (a 5xx or a leak). ``seen`` (if given) collects the URLs visited."""
    seen = set() if seen is None else seen
    queue, problems = [start], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        if response.status_code >= 500:
            problems[url] = [f"HTTP {response.status_code}"]
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        page = _Page()
        page.feed(html)
        found = leaks(" ".join(page.text)) + [m.group(0) for m in DANGLING.finditer(html)]
        if found:
            problems[url] = found
        for href in page.links:
            href = urldefrag(href)[0]
            parsed = urlparse(href)
            if parsed.netloc or not href.startswith("/") or SKIP.search(parsed.path):
                continue
            if href not in seen:
                queue.append(href)
    assert len(seen) > 1, f"nothing reachable from {start}"
    return problems


@pytest.fixture
def world(settings, monkeypatch):
    """The demo world: users for every role, dealers and their staff, products, applications
    in every status, the back office's referred cases and contracts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(pdf, "contract_pdf_render", lambda c: b"%PDF-1.4 demo")
    context: dict = {}
    out = io.StringIO()
    autofin_seed.seed(stdout=out, context=context)
    dealers_seed.seed(stdout=out, context=context)
    origination_seed(stdout=out, context=context)
    return context


def _customers():
    users = {
        a.customer for a in Application.objects.exclude(customer=None).select_related("customer")
    }
    return [u for u in users if user_has_role(u, Role.CUSTOMER)]


def test_customer_and_dealer_pages_and_messages_show_nothing_internal(client, world):
    assert ApplicationEvent.objects.filter(reason__regex=CODE.pattern).exists()  # codes exist
    problems: dict[str, list[str]] = {}
    customers = _customers()
    assert len(customers) >= 5
    for user in customers:
        client.force_login(user)
        problems |= crawl(client, "/my/applications/", limit=40)
    sales = DealerStaff.objects.filter(role="dealer_sales", active=True).select_related("user")
    assert sales.exists()
    for member in sales[:3]:
        client.force_login(member.user)
        problems |= crawl(client, "/dealer/", limit=60)
    assert problems == {}
    # the account managers' grade alerts (back office, e-mail) carry the score by design
    back_office = Dealer.objects.exclude(account_manager=None).values("account_manager__email")
    messages = OutboundMessage.objects.exclude(to__in=back_office)
    assert messages.exists()
    bad = {m.pk: leaks(f"{m.subject} {m.body}") for m in messages}
    assert {k: v for k, v in bad.items() if v} == {}


def test_dealer_admin_pages_show_nothing_internal(client, world):
    """The dealer manager's own pages (overview, staff, statements, KPIs, agreements) beside the
    salesperson's: no code, score or repr, no English state, no dangling separator, no 5xx."""
    admins = DealerStaff.objects.filter(role="dealer_admin", active=True).select_related("user")
    assert admins.exists()
    # a channel grade for each (the batch makes them): its numeric score is internal
    dealer_grades_recompute(
        as_of=dt.date(2026, 11, 30), metrics={m.dealer_id: GOOD_MONTH for m in admins[:2]}
    )
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for member in admins[:2]:
        client.force_login(member.user)
        problems |= crawl(client, "/dealer/", limit=80, seen=seen)
    for path in ("/dealer/", "/dealer/staff/", "/dealer/statements/", "/dealer/kpis/"):
        assert path in seen, path
    assert problems == {}


def test_the_crawl_fails_on_a_code_on_a_customer_page(client, world, monkeypatch):
    """The walk can fail: a code put back on a customer page is found."""
    from origination.selectors import applications as sel

    timeline = sel.application_timeline

    def leaky(app, **kwargs):
        rows = timeline(app, **kwargs)
        return [{**r, "note": "F03_SHARED_BANK_ACCOUNT"} for r in rows]

    monkeypatch.setattr(sel, "application_timeline", leaky)
    user = _customers()[0]
    client.force_login(user)
    problems = crawl(client, "/my/applications/", limit=40)
    assert any("F03_SHARED_BANK_ACCOUNT" in found for found in problems.values())
    assert sorted(leaks("评分 612，{'a': None}")) == sorted(["评分 612", "{'", "None"])


def test_review_step_of_a_seeded_draft_answers_with_what_is_missing(client, world):
    """It answered 500 ("Need 2 values to unpack in for loop; got 12")."""
    draft = Application.objects.filter(status="draft", customer__isnull=False).first()
    client.force_login(draft.customer)
    response = client.get(f"/apply/{draft.reference}/review/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "确认并提交" in text
    for app in Application.objects.filter(status="draft").exclude(customer=None):
        client.force_login(app.customer)
        assert client.get(f"/apply/{app.reference}/review/").status_code == 200


def test_the_timeline_speaks_chinese_and_plain_reasons(client, world):
    referred = Application.objects.filter(
        status="referred", customer__isnull=False, events__reason__regex=CODE.pattern
    ).first()
    assert referred is not None
    client.force_login(referred.customer)
    text = client.get(f"/my/applications/{referred.reference}/").content.decode()
    assert "人工审批中" in text
    assert status_note("referred") in text
    assert customer_reason("verify") == "需要进一步核实您提交的资料，审核人员会尽快处理。"
    assert not CODE.search(text) and not ENGLISH_STATES.search(text)


def test_a_counter_offer_a_person_made_is_not_called_automated(client, world):
    """本结果由系统自动作出 only under the system's outcome; the seed's counter-offer was an
    underwriter's."""
    offered = Application.objects.filter(status="counter_offered", customer__isnull=False).first()
    assert offered.events.filter(to_status="counter_offered", actor__isnull=False).exists()
    # referred by the engine first, so the application still names the risk decision
    Application.objects.filter(pk=offered.pk).update(decision_ref=risk_decision_ref(1))
    client.force_login(offered.customer)
    text = client.get(f"/my/applications/{offered.reference}/").content.decode()
    assert "调整方案待确认" in text and status_note("counter_offered") in text
    assert "本结果由系统自动作出" not in text
    # the seed's offer is there to answer, the underwriter's own note under it
    assert 'data-testid="counter-offer"' in text
    offer = offered.counter_offers.get(status="open")
    answer = client.get(f"/counter-offers/{offer.pk}/").content.decode()
    assert "建议首付提高至 40%" in answer and 'data-testid="offer-compare"' in answer


def test_the_dealer_reads_no_line_that_tells_a_referral_from_a_review(client, world):
    """The dealer's 审核中 names both a review and a referral; the customer's line under a
    referral (需要进一步核实…) stood under it on the dealer's timeline and in its API answer,
    telling them apart. The customer still reads it."""
    from rest_framework.test import APIClient

    app = Application.objects.filter(
        status="referred", dealer__isnull=False, events__to_status="referred"
    ).first()
    assert app is not None
    member = (
        DealerStaff.objects.filter(dealer_id=app.dealer_id, active=True)
        .select_related("user")
        .first()
    )
    client.force_login(member.user)
    text = client.get(f"/dealer/applications/{app.reference}/").content.decode()
    assert "审核中" in text and status_note("referred") not in text
    api = APIClient()
    api.force_authenticate(member.user)
    timeline = api.get(f"/api/v1/applications/{app.reference}/status/").json()["timeline"]
    # the referral is no step of the dealer's (test_dealer_neutral_status), and no line tells it
    assert "referred" not in {e["to_status"] for e in timeline}
    assert status_note("referred") not in {e["reason"] for e in timeline}
    declined = status_note("declined", for_dealer=True)
    assert declined == status_note("declined") != ""  # an outcome's line stays
    if app.customer_id:
        api.force_authenticate(app.customer)
        timeline = api.get(f"/api/v1/applications/{app.reference}/status/").json()["timeline"]
        assert status_note("referred") in {e["reason"] for e in timeline}
