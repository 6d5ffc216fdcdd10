"""Reads of a sale-leaseback customer's payout card: its four-element check for the pages and
the operator releasing the money, and its account for the payment (servicing reads both here)."""

from __future__ import annotations

from autofin.crypto import decrypt
from origination.models.bank_cards import CardCheckResult, CustomerBankCard
from origination.services.bank_cards import card_reason_text


def customer_card_current(application_id: int | None) -> CustomerBankCard | None:
    if not application_id:
        return None
    return CustomerBankCard.objects.filter(application_id=application_id, active=True).first()


def customer_card_check(application_id: int | None) -> dict | None:
    """The application's card and its check as plain values (masked), or None if none entered."""
    card = customer_card_current(application_id)
    if card is None:
        return None
    return {
        "holder_name": card.holder_name,
        "bank_name": card.bank_name,
        "card_number_masked": card.card_number_masked,
        "card_number_hash": card.card_number_hash,
        "phone_masked": card.phone_masked,
        "passed": card.check_result == CardCheckResult.PASSED,
        "result_label": card.get_check_result_display(),
        "reason": card_reason_text(card.check_reason),
        "ref": card.check_ref,
        "checked_at": card.checked_at,
    }


def customer_card_account(application_id: int | None) -> dict | None:
    """The account a sale-leaseback pays the customer to: the active card whose four-element
    check passed (plain values, decrypted number); None otherwise."""
    card = customer_card_current(application_id)
    if card is None or card.check_result != CardCheckResult.PASSED:
        return None
    return {
        "account_name": card.holder_name,
        "bank_name": card.bank_name,
        "account_number": decrypt(card.card_number_enc),
        "account_number_masked": card.card_number_masked,
        "card_id": card.pk,
    }
