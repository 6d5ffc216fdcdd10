"""Serializers of the applications API: inputs check shape (the services check the rules) and
outputs show identity data masked only."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from autofin.fields import PlainDecimalSerializerField
from origination.customer_texts import dealer_status, status_note
from origination.models import PayeeType, RepaymentMethod, VehicleKind, VehicleUse
from origination.models.applications import ApplicantRole, Application, ApplicationStatus
from origination.models.documents import DocumentKind
from origination.models.privacy import ConsentKind
from origination.selectors.products import product_version_for_quote
from origination.selectors.progress import application_progress
from origination.services.applications.vehicle import ADD_ON_KINDS, VEHICLE_FIELDS

CENT = Decimal("0.01")


class VehicleStepInput(serializers.Serializer):
    product = serializers.CharField(max_length=40, label=_("产品"), help_text=_("产品代码或 ID"))
    vehicle_brand = serializers.CharField(max_length=50, label=_("品牌"))
    vehicle_model = serializers.CharField(max_length=80, label=_("车型"))
    vehicle_trim = serializers.CharField(max_length=80, required=False, allow_blank=True)
    vehicle_kind = serializers.ChoiceField(choices=VehicleKind.choices, label=_("车辆类型"))
    vehicle_use = serializers.ChoiceField(choices=VehicleUse.choices, default="personal")
    vehicle_price = PlainDecimalSerializerField(max_digits=18, decimal_places=2, min_value=CENT)
    vin = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    mileage_km = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    first_registration_date = serializers.DateField(required=False, allow_null=True)
    down_payment = PlainDecimalSerializerField(
        max_digits=18, decimal_places=2, min_value=Decimal(0)
    )
    term_months = serializers.IntegerField(min_value=1, max_value=120)
    method = serializers.ChoiceField(choices=RepaymentMethod.choices)
    balloon_ratio = PlainDecimalSerializerField(
        max_digits=5, decimal_places=4, required=False, allow_null=True
    )

    def validate_product(self, value):
        version = product_version_for_quote(product_ref=value)
        if version is None:
            raise serializers.ValidationError(_("请选择一个在售的产品。"))
        return version

    def vehicle(self) -> dict:
        return {name: self.validated_data.get(name) for name in VEHICLE_FIELDS}


class ApplicationCreateInput(VehicleStepInput):
    customer_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    customer_mobile = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("经销商渠道必填")
    )


class PersonInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18)
    birth_date = serializers.DateField()
    mobile = serializers.CharField(max_length=20)
    marital_status = serializers.CharField(max_length=10, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    employment_kind = serializers.CharField(max_length=20, required=False, allow_blank=True)
    employer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    employment_years = PlainDecimalSerializerField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    housing = serializers.CharField(max_length=10, required=False, allow_blank=True)
    monthly_income = PlainDecimalSerializerField(
        max_digits=18, decimal_places=2, required=False, allow_null=True
    )
    bank_account = serializers.CharField(max_length=30, required=False, allow_blank=True)


class ApplicantsInput(serializers.Serializer):
    primary = PersonInput()
    other_role = serializers.ChoiceField(
        choices=[ApplicantRole.CO_APPLICANT, ApplicantRole.GUARANTOR],
        required=False,
        allow_blank=True,
    )
    other = PersonInput(required=False, allow_null=True)


class ItemInput(serializers.Serializer):
    item_kind = serializers.ChoiceField(choices=list(ADD_ON_KINDS))
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2, min_value=Decimal(0))
    payee_type = serializers.ChoiceField(choices=PayeeType.choices)
    payee_name = serializers.CharField(max_length=200, allow_blank=True)


class ItemsInput(serializers.Serializer):
    car_payee_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    items = ItemInput(many=True, required=False)


class UpdateInput(serializers.Serializer):
    """PATCH one step: ``step`` names it; the step's fields sit beside it."""

    step = serializers.ChoiceField(choices=["vehicle", "applicants", "items", "consents"])


class ConsentsInput(serializers.Serializer):
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=ConsentKind.choices))
    text_versions = serializers.DictField(child=serializers.IntegerField(), required=False)


class DocumentInput(serializers.Serializer):
    doc_kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField()


# --- outputs ---------------------------------------------------------------------------------

AUDIENCE_STATUS_HELP = (
    "申请状态。经销商读到的 referred（人工审批中）为 under_review（审核中）：经销商不应分辨"
    "转人工与普通审核；客户与后台读到原值。"
)


class AudienceStatusField(serializers.ChoiceField):
    """The status as the reader may know it: a dealer's serializer context (``for_dealer``)
    reads a referral as a review, like the portal's 审核中."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", AUDIENCE_STATUS_HELP)
        super().__init__(choices=ApplicationStatus.choices, **kwargs)

    def to_representation(self, value):
        value = super().to_representation(value)
        return dealer_status(value) if self.context.get("for_dealer") else value


class EventOutput(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at")
    kind = serializers.CharField()
    from_status = AudienceStatusField(allow_blank=True)
    to_status = AudienceStatusField(allow_blank=True)
    reason = serializers.SerializerMethodField()

    def get_reason(self, event) -> str:
        # The event's own reason is the back office's (rule codes, notes): the customer's and the
        # dealer's plain line for the status instead, as on their pages (customer_texts).
        if event.kind != "status" or event.to_status == ApplicationStatus.SUBMITTED:
            return ""
        return status_note(event.to_status, for_dealer=self.context.get("for_dealer", False))


class ApplicantOutput(serializers.Serializer):
    role = serializers.CharField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    mobile_masked = serializers.CharField()
    monthly_income = PlainDecimalSerializerField(max_digits=18, decimal_places=2, allow_null=True)


class ItemOutput(serializers.Serializer):
    item_kind = serializers.CharField()
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2)
    payee_type = serializers.CharField()
    payee_name = serializers.CharField()


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    doc_kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("origination:document_download", args=[obj.pk])


class ApplicationOutput(serializers.ModelSerializer):
    status = AudienceStatusField()
    product = serializers.CharField(source="product_version.product.code")
    product_version = serializers.IntegerField(source="product_version.number")
    dealer_id = serializers.IntegerField(allow_null=True)
    applicants = ApplicantOutput(many=True)
    items = ItemOutput(many=True)
    documents = DocumentOutput(many=True)
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference",
            "channel",
            "status",
            "product",
            "product_version",
            "dealer_id",
            "customer_name",
            "customer_mobile_masked",
            "vehicle_brand",
            "vehicle_model",
            "vehicle_trim",
            "vehicle_kind",
            "vehicle_use",
            "vehicle_price",
            "vin",
            "mileage_km",
            "first_registration_date",
            "down_payment",
            "term_months",
            "method",
            "balloon_ratio",
            "amount_financed",
            "ltv",
            "monthly_payment",
            "apr",
            "customer_rate",
            "created_at",
            "submitted_at",
            "decided_at",
            "funded_at",
            "applicants",
            "items",
            "documents",
            "steps",
        ]

    def get_steps(self, obj) -> dict[str, bool]:
        return {s.name: s.done for s in application_progress(obj)}


class ApplicationStepOutput(serializers.ModelSerializer):
    """What a step's save returns: the status, the steps done and the indicative quote."""

    status = AudienceStatusField()

    steps = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference",
            "channel",
            "dealer_id",
            "status",
            "amount_financed",
            "ltv",
            "monthly_payment",
            "apr",
            "submitted_at",
            "steps",
        ]

    def get_steps(self, obj) -> dict[str, bool]:
        return {s.name: s.done for s in application_progress(obj)}


class ApplicationListOutput(serializers.ModelSerializer):
    status = AudienceStatusField()

    class Meta:
        model = Application
        fields = [
            "reference",
            "channel",
            "status",
            "customer_name",
            "vehicle_brand",
            "vehicle_model",
            "vehicle_price",
            "created_at",
            "submitted_at",
        ]


class StatusOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = AudienceStatusField()
    needs = serializers.ListField(child=serializers.CharField())
    timeline = EventOutput(many=True)
