"""Entering the customer's own bank card for a sale-leaseback (售后回租) and checking it by its
four elements (银行卡四要素) with the card-verification rail (origination.bank_cards).

Who may enter it: the customer themself (their own application) or an agent of the back office
(operations) / the application's dealer staff. The card holder is always the primary applicant:
their name and ID number come from the application, never from the form. Each entry is checked
at once and kept (encrypted number, keyed hash, mask, result, when); the new card replaces the
earlier one as the card money is paid to.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.audit import audit_record
from autofin.crypto import decrypt, encrypt, keyed_hash, mask, normalise
from autofin.roles import Role, user_has_role
from origination.bank_cards import BankCardError, bank_card_adapter
from origination.models.applications import Application
from origination.models.bank_cards import CardCheckResult, CustomerBankCard
from origination.selectors.applications import applications_visible_to

CARD_RE = re.compile(r"\d{16,19}")
PHONE_RE = re.compile(r"1\d{10}")
# the reason a provider gives -> what the person entering the card reads
REASON_TEXT = {
    "card": gettext_lazy("银行卡号与持卡人不符"),
    "phone": gettext_lazy("手机号不是该卡在银行预留的手机号"),
    "id": gettext_lazy("持卡人姓名与身份证号不符"),
    "name": gettext_lazy("持卡人姓名与银行记录不符"),
}
ENTRY_ROLES = (Role.CUSTOMER, Role.OPERATIONS, Role.DEALER_ADMIN, Role.DEALER_SALES)


class BankCardEntryError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def card_reason_text(reason: str) -> str:
    return str(REASON_TEXT.get(reason, _("四要素不一致"))) if reason else ""


def bank_card_may_enter(user, application: Application) -> bool:
    return user_has_role(user, *ENTRY_ROLES) and (
        applications_visible_to(user).filter(pk=application.pk).exists()
    )


def bank_card_verify(
    *, application: Application, card_number: str, bank_name: str, phone: str, actor: Any
) -> CustomerBankCard:
    """Check the card by its four elements and keep it (passed or failed) as the application's
    card. Refused (nothing kept) when the actor may not, the input is malformed or the rail
    cannot answer now."""
    if not bank_card_may_enter(actor, application):
        raise BankCardEntryError(_("您无权为该申请登记银行卡。"), code="forbidden")
    if application.product_version.product.contract_type != "sale_leaseback":
        raise BankCardEntryError(
            _("只有售后回租合同需要登记客户收款银行卡。"), code="not_leaseback"
        )
    number, phone, bank_name = normalise(card_number), normalise(phone), (bank_name or "").strip()
    if not CARD_RE.fullmatch(number):
        raise BankCardEntryError(_("请填写 16–19 位银行卡号。"), field="card_number")
    if not PHONE_RE.fullmatch(phone):
        raise BankCardEntryError(_("请填写 11 位银行预留手机号。"), field="phone")
    if not bank_name:
        raise BankCardEntryError(_("请填写开户行。"), field="bank_name")
    holder = application.primary_applicant
    if holder is None:
        raise BankCardEntryError(_("申请尚未填写主借人信息。"), code="no_applicant")
    id_number = decrypt(holder.id_number_enc)
    try:
        answer = bank_card_adapter().verify(
            name=holder.name, id_number=id_number, card_number=number, phone=phone
        )
    except BankCardError as exc:
        raise BankCardEntryError(
            _("银行卡核验服务暂不可用，请稍后再试。"), code="unavailable"
        ) from exc
    passed = answer["result"] == "match"
    with transaction.atomic():
        Application.objects.select_for_update().filter(pk=application.pk).first()
        CustomerBankCard.objects.filter(application=application, active=True).update(active=False)
        card = CustomerBankCard.objects.create(
            application=application,
            holder_name=holder.name,
            id_number_hash=holder.id_number_hash,
            bank_name=bank_name[:100],
            card_number_enc=encrypt(number),
            card_number_hash=keyed_hash(number),
            card_number_masked=mask(number, keep_start=4, keep_end=4),
            phone_enc=encrypt(phone),
            phone_masked=mask(phone, keep_start=3, keep_end=4),
            check_result=CardCheckResult.PASSED if passed else CardCheckResult.FAILED,
            check_reason="" if passed else (answer.get("reason") or "other")[:10],
            check_ref=answer.get("ref", "")[:40],
            checked_at=timezone.now(),
            entered_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            obj=application,
            action="bank_card_verify",
            to_state=card.check_result,
            data={"card": card.card_number_masked, "reason": card.check_reason,
                  "ref": card.check_ref},
        )  # fmt: skip
    return card
