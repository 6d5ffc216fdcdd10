"""The next-best-offer model (issue 21 §3): trained on a seeded response history with a known
signal, it shows held-out lift and ranks the responsive kind first; without a model, the
documented fallback order; the model page for marketing and risk, refused to customers."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from autofin.business_date import business_date_current
from autofin.roles import Role
from servicing.models import CampaignContact, ContactResult, CustomerFact, NboModel, NboStatus
from servicing.models.customers import OfferKind
from servicing.seed.nbo import nbo_history_seed
from servicing.services.nbo.scoring import FALLBACK_ORDER, nbo_rank, nbo_rank_many
from servicing.services.nbo.training import NboTrainingError, nbo_train
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

KINDS = [k.value for k in OfferKind]


@pytest.fixture
def history():
    return nbo_history_seed(customers=600, seed=7)


def _customer_with_facts(**facts) -> int:
    today = business_date_current()
    customer = UserFactory(roles=[Role.CUSTOMER])
    defaults = {
        "loans_active": 1,
        "instalments_paid": 12,
        "first_funded_on": today - dt.timedelta(days=375),
        "principal_outstanding": Decimal("90000.00"),
        "months_to_maturity": 24,
        "vehicle_kind": "new",
        "insurance_ends_on": today + dt.timedelta(days=200),
        "marketing_consent": True,
    }
    CustomerFact.objects.create(customer=customer, computed_on=today, **{**defaults, **facts})
    return customer.pk


def test_training_on_the_seeded_history_shows_held_out_lift(history):
    sent = CampaignContact.objects.filter(result=ContactResult.SENT).count()
    held = CampaignContact.objects.filter(result=ContactResult.HOLDOUT).count()

    run = nbo_train()

    m = run.metrics
    assert history == sent + held and held > 0
    # the hold-out saw nothing: only sent contacts train the model
    assert run.rows == sent
    assert run.status == NboStatus.SUCCEEDED and run.pipeline
    assert abs(m["holdout_rows"] - sent * 0.3) < 1
    assert m["top_decile_lift"] > 1.5
    assert m["auc"] > 0.65
    table = m["lift_table"]
    assert [r["decile"] for r in table] == list(range(1, 11))
    assert sum(r["contacts"] for r in table) == m["holdout_rows"]
    assert sum(r["applied"] for r in table) == round(m["response_rate"] * m["holdout_rows"])
    # the top tenth responds better than the bottom tenth
    assert table[0]["response_rate"] > table[-1]["response_rate"]


def test_ranking_puts_the_responsive_kind_first(history):
    nbo_train()
    today = business_date_current()
    renewal_due = _customer_with_facts(insurance_ends_on=today + dt.timedelta(days=20))
    near_maturity = _customer_with_facts(
        instalments_paid=44, months_to_maturity=4, first_funded_on=today - dt.timedelta(days=1335),
        insurance_ends_on=today + dt.timedelta(days=300), principal_outstanding=Decimal("12000.00"),
    )  # fmt: skip

    first_renewal = nbo_rank(renewal_due, KINDS)
    first_next_car = nbo_rank(near_maturity, KINDS)

    assert first_renewal[0][0] == OfferKind.INSURANCE_RENEWAL
    assert first_next_car[0][0] == OfferKind.NEXT_CAR
    scores = [score for _kind, score in first_renewal]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    # the batch variant ranks the same as one customer at a time
    many = nbo_rank_many([renewal_due, near_maturity], KINDS)
    assert many[renewal_due] == first_renewal and many[near_maturity] == first_next_car


def test_the_command_prints_the_held_out_lift(history):
    out = io.StringIO()

    call_command("nbo_train", stdout=out)

    text = out.getvalue()
    run = NboModel.objects.get(status=NboStatus.SUCCEEDED)
    lift = float(re.search(r"top-decile lift: ([0-9.]+)", text).group(1))
    assert lift == pytest.approx(run.metrics["top_decile_lift"], abs=0.005)
    assert lift > 1.5
    decile_rows = [line for line in text.splitlines() if re.match(r"^\s+\d+\s+\d+\s+\d+", line)]
    assert len(decile_rows) == 10


def test_without_a_model_the_fallback_order():
    customer = _customer_with_facts(insurance_ends_on=None)

    ranked = nbo_rank(customer, [OfferKind.NEXT_CAR, OfferKind.MAINTENANCE, OfferKind.UPGRADE])

    assert ranked == [
        (OfferKind.MAINTENANCE, 0.0),
        (OfferKind.UPGRADE, 0.0),
        (OfferKind.NEXT_CAR, 0.0),
    ]
    assert [k for k, _s in nbo_rank(customer, KINDS)] == [str(k) for k in FALLBACK_ORDER]


def test_a_customer_without_facts_gets_the_fallback_order(history):
    nbo_train()
    stranger = UserFactory(roles=[Role.CUSTOMER])

    assert nbo_rank(stranger.pk, KINDS) == [(str(k), 0.0) for k in FALLBACK_ORDER]


def test_too_small_a_history_is_refused_and_recorded():
    nbo_history_seed(customers=20, seed=1)

    with pytest.raises(CommandError, match="响应记录不足"):
        call_command("nbo_train", stdout=io.StringIO())

    run = NboModel.objects.get()
    assert run.status == NboStatus.FAILED and "响应记录不足" in run.error
    assert run.pipeline is None
    with pytest.raises(NboTrainingError):
        nbo_train()
    assert not NboModel.objects.filter(status=NboStatus.SUCCEEDED).exists()


@pytest.mark.parametrize("role", [Role.MARKETING, Role.RISK_ANALYST])
def test_the_model_page_shows_auc_lift_and_chart(client, history, role):
    run = nbo_train()
    client.force_login(UserFactory(roles=[role]))

    page = client.get(reverse("servicing:nbo_model"))

    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="nbo-auc">{run.metrics["auc"]:.3f}<' in html
    assert f'data-testid="nbo-top-lift">{run.metrics["top_decile_lift"]:.2f}<' in html
    assert html.count('class="nbo-bar') == 10
    assert 'data-testid="nbo-baseline"' in html
    assert f'data-version="{run.version}"' in html


def test_the_page_without_a_model_says_so(client):
    client.force_login(UserFactory(roles=[Role.MARKETING]))

    page = client.get(reverse("servicing:nbo_model"))

    assert page.status_code == 200
    assert 'data-testid="nbo-no-model"' in page.content.decode()


def test_a_customer_is_refused_the_page_and_the_retrain(client, history):
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))

    page = client.get(reverse("servicing:nbo_model"))
    post = client.post(reverse("servicing:nbo_retrain"))

    assert page.status_code == 403 and post.status_code == 403
    assert not NboModel.objects.exists()


def test_retrain_runs_the_task_and_stores_a_new_version(
    client, history, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    first = nbo_train()
    client.force_login(UserFactory(roles=[Role.MARKETING]))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("servicing:nbo_retrain"))

    assert response.status_code == 302
    newest = NboModel.objects.order_by("-version").first()
    assert newest.version == first.version + 1
    assert newest.status == NboStatus.SUCCEEDED
    # the same data, split and seed: the same measured lift
    assert newest.metrics["top_decile_lift"] == first.metrics["top_decile_lift"]
    page = client.get(reverse("servicing:nbo_model"))
    assert 'data-testid="nbo-retrain"' in page.content.decode()


def test_the_status_panel_asks_for_a_reload_once_the_polled_run_finished(client, history):
    run = nbo_train()
    queued = NboModel.objects.create(version=run.version + 1)
    client.force_login(UserFactory(roles=[Role.MARKETING]))

    finished = client.get(reverse("servicing:nbo_status"), {"run": run.pk})
    waiting = client.get(reverse("servicing:nbo_status"), {"run": queued.pk})

    assert finished["HX-Refresh"] == "true"
    assert "HX-Refresh" not in waiting
    assert 'data-testid="nbo-pending"' in waiting.content.decode()


def test_a_run_stuck_past_the_time_limit_does_not_block_retraining(
    client, history, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    stuck = NboModel.objects.create(version=1)
    NboModel.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    busy = NboModel.objects.create(version=2)
    client.force_login(UserFactory(roles=[Role.MARKETING]))

    refused = client.post(reverse("servicing:nbo_retrain"))
    after_refusal = NboModel.objects.count()
    busy.delete()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("servicing:nbo_retrain"))

    assert refused.status_code == 302 and after_refusal == 2
    stuck.refresh_from_db()
    assert stuck.status == NboStatus.FAILED and stuck.error
    assert list(NboModel.objects.values_list("version", "status")) == [
        (2, NboStatus.SUCCEEDED),
        (1, NboStatus.FAILED),
    ]


def test_a_contact_trains_on_the_facts_as_they_were_at_launch():
    from servicing.models import MarketingConsent, Segment, SegmentMember
    from servicing.models.marketing import Campaign
    from servicing.services.marketing.campaigns import campaign_launch
    from servicing.services.nbo.features import history_read

    customer_id = _customer_with_facts(loans_active=1, principal_outstanding=Decimal("90000.00"))
    MarketingConsent.objects.create(customer_id=customer_id, given_via="portal")
    UserFactory._meta.model.objects.filter(pk=customer_id).update(phone="13700000021")
    segment = Segment.objects.create(name="launch-snapshot", computed_at=timezone.now())
    SegmentMember.objects.create(segment=segment, customer_id=customer_id)
    noon = timezone.now()
    campaign = Campaign.objects.create(
        name="置换季", segment=segment, offer_kind="next_car", channel="sms",
        message="您的专属购车额度已备好。", starts_at=noon, holdout_percent=0, status="scheduled",
    )  # fmt: skip
    campaign_launch(campaign_id=campaign.pk, now=noon)
    contact = CampaignContact.objects.get(campaign=campaign)
    assert contact.result == ContactResult.SENT and contact.facts["loans_active"] == 1

    # the offer worked: the customer took the next car, and tonight's facts say so
    CustomerFact.objects.filter(customer_id=customer_id).update(
        loans_active=2, principal_outstanding=Decimal("250000.00")
    )
    CampaignContact.objects.filter(pk=contact.pk).update(applied_at=noon, funded_at=noon)
    row = history_read().set_index("id").loc[contact.pk]
    assert row["loans_active"] == 1 and row["principal_outstanding"] == 90000.0
    assert row["funded"] == 1 and row["vehicle_kind"] == "new"
    assert row["months_on_book"] == 12  # 375 days before the facts' own business day

    # a contact from before snapshots falls back to tonight's facts
    CampaignContact.objects.filter(pk=contact.pk).update(facts=None)
    assert history_read().set_index("id").loc[contact.pk]["loans_active"] == 2
