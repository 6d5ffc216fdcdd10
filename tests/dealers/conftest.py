"""Fixtures for the dealers tests: dealers with valid USCCs, staff, back-office users."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from autofin.business_date import business_date_set
from autofin.roles import Role
from dealers.models.dealers import Dealer, DealerStatus
from dealers.models.staff import DealerStaff
from dealers.seed import uscc_make
from dealers.services import staff_create
from tests.factories import UserFactory

_serial = itertools.count(1)

TODAY = dt.date(2026, 3, 15)


@pytest.fixture
def business_today(db):
    business_date_set(actor="test", date=TODAY, reason="tests")
    return TODAY


@pytest.fixture
def am(db):
    return UserFactory(roles=[Role.ACCOUNT_MANAGER], email="am@example.com")


@pytest.fixture
def am2(db):
    return UserFactory(roles=[Role.ACCOUNT_MANAGER], email="am2@example.com")


@pytest.fixture
def sysadmin(db):
    return UserFactory(roles=[Role.SYSTEM_ADMIN])


@pytest.fixture
def make_dealer(db, am):
    def _make(*, name=None, status=DealerStatus.ACTIVE, manager=None, **extra) -> Dealer:
        n = next(_serial)
        return Dealer.objects.create(
            legal_name=name or f"测试汽车销售服务有限公司{n:03d}",
            uscc=uscc_make("310115", 9000 + n),
            dealer_type=extra.pop("dealer_type", "four_s"),
            province="上海市",
            city="上海市",
            status=status,
            account_manager=manager if manager is not None else am,
            **extra,
        )

    return _make


@pytest.fixture
def make_staff(db):
    def _make(dealer, role="dealer_admin", **user_kwargs) -> DealerStaff:
        user = UserFactory(**user_kwargs)
        return staff_create(actor="seed", dealer=dealer, user=user, role=role)

    return _make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Autouse: the dealers tests make users by the dozen, and PBKDF2 costs ~0.5 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
