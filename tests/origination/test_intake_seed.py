"""The demo seed: applications in every status, valid ID numbers and VINs, both channels."""

from __future__ import annotations

import io

import pytest

from autofin.crypto import decrypt
from origination.models.applications import Applicant, Application, ApplicationStatus
from origination.seed.applications import seed_applications
from origination.validators import validate_id_number, validate_vin

pytestmark = pytest.mark.django_db


def test_seed_makes_every_status_with_valid_identities(products, salesperson):
    out = io.StringIO()
    seed_applications(stdout=out, context={})
    assert set(Application.objects.values_list("status", flat=True)) == set(
        ApplicationStatus.values
    )
    assert set(Application.objects.values_list("channel", flat=True)) == {"direct", "dealer"}
    for applicant in Applicant.objects.all():
        validate_id_number(decrypt(applicant.id_number_enc), birth_date=applicant.birth_date)
    vins = [v for v in Application.objects.values_list("vin", flat=True) if v]
    assert vins and all(validate_vin(v) == v for v in vins)
    assert "every status" in out.getvalue()
