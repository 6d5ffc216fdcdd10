"""Four eyes in tests about something else: submit as one person and approve as another, through
the same services the pages use (autofin.approvals). Tests about four eyes itself live in
tests/autofin/test_approvals.py and call the services step by step."""

from __future__ import annotations

from typing import Any

from autofin.approvals import Submission, approval_request_approve
from autofin.roles import Role
from tests.factories import UserFactory


def second_person(maker, *roles: Role) -> Any:
    """A different user holding the maker's roles (and any extra permissions) plus `roles`."""
    checker = UserFactory(roles=[*(g.name for g in maker.groups.all()), *roles])
    perms = list(maker.user_permissions.all())
    if perms:
        checker.user_permissions.add(*perms)
    return checker


def approved(submission: Submission, *, checker) -> Any:
    """The action's result: done at once (four eyes off) or approved now by `checker`."""
    if not submission.pending:
        return submission.result
    return approval_request_approve(request_id=submission.request.pk, checker=checker)


def product_publish(version, *, maker=None, checker=None):
    """Publish a draft with two product managers (or the given users)."""
    from origination.approvals import product_version_publish_submit

    maker = maker or UserFactory(roles=[Role.PRODUCT_MANAGER])
    checker = checker or second_person(maker)
    return approved(product_version_publish_submit(actor=maker, version=version), checker=checker)


def scorecard_promote(*, version_id: int, maker=None, checker=None, reason: str = ""):
    from risk.approvals import scorecard_promote_submit

    maker = maker or UserFactory(roles=[Role.RISK_ANALYST])
    checker = checker or second_person(maker)
    submission = scorecard_promote_submit(version_id=version_id, actor=maker, reason=reason)
    return approved(submission, checker=checker)


def strategy_change(*, maker=None, checker=None, **thresholds):
    from risk.approvals import strategy_change_submit

    maker = maker or UserFactory(roles=[Role.RISK_ANALYST])
    checker = checker or second_person(maker)
    return approved(strategy_change_submit(actor=maker, **thresholds), checker=checker)


def rule_set_activate(*, rule_set_id: int, maker=None, checker=None):
    from risk.approvals import rule_set_activate_submit

    maker = maker or UserFactory(roles=[Role.RISK_ANALYST])
    checker = checker or second_person(maker)
    submission = rule_set_activate_submit(rule_set_id=rule_set_id, actor=maker)
    return approved(submission, checker=checker)


def loan_restructure(*, maker, checker=None, **terms):
    """Restructure with the maker's terms, approved by a second person with the same rights."""
    from servicing.approvals import loan_restructure_submit

    checker = checker or second_person(maker)
    return approved(loan_restructure_submit(actor=maker, **terms), checker=checker)
