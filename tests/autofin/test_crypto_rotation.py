"""Field-encryption keys rotate: each ciphertext names its key, any configured key decrypts,
the first encrypts, and `reencrypt_fields` moves stored values to the current key."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from autofin.crypto import current_key_id, decrypt, encrypt, key_id, needs_reencryption
from origination.models.payees import REGISTER_KINDS, Payee

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_ciphertext_names_its_key_and_old_keys_still_decrypt(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    under_old = encrypt("110101199001011237")
    assert under_old.startswith(f"k{key_id(OLD)}:")
    legacy = Fernet(OLD.encode()).encrypt(b"13800138000").decode()  # written before key ids

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert current_key_id() == key_id(NEW)
    assert decrypt(under_old) == "110101199001011237"
    assert decrypt(legacy) == "13800138000"
    under_new = encrypt("110101199001011237")
    assert under_new.startswith(f"k{key_id(NEW)}:") and decrypt(under_new) == "110101199001011237"
    assert needs_reencryption(under_old) and needs_reencryption(legacy)
    assert not needs_reencryption(under_new) and not needs_reencryption("")

    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key dropped
    with pytest.raises(InvalidToken):
        decrypt(under_old)
    with pytest.raises(InvalidToken):
        decrypt(legacy)


def _payee(n: int, number_enc: str) -> Payee:
    return Payee.objects.create(
        payee_type=REGISTER_KINDS[0],
        name=f"保险公司 {n}",
        account_name=f"保险公司 {n}",
        bank_name="工商银行",
        account_number_enc=number_enc,
        account_number_hash=f"h{n}",
        account_number_masked="****0001",
    )


@pytest.mark.django_db
def test_reencrypt_fields_moves_every_value_to_the_current_key_idempotently(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    numbers = [f"62220200000{n:05d}" for n in range(5)]
    payees = [_payee(n, encrypt(number)) for n, number in enumerate(numbers[:4])]
    legacy = _payee(4, Fernet(OLD.encode()).encrypt(numbers[4].encode()).decode())
    payees.append(legacy)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    out = io.StringIO()
    call_command("reencrypt_fields", "--batch-size", "2", stdout=out)
    text = out.getvalue()
    assert "origination.Payee: 2/5" in text and "origination.Payee: 5/5" in text
    assert "Re-encrypted 5 row(s)." in text

    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key can go now
    stored = {p.pk: p.account_number_enc for p in Payee.objects.all()}
    for payee, number in zip(payees, numbers, strict=True):
        assert stored[payee.pk].startswith(f"k{key_id(NEW)}:")
        assert decrypt(stored[payee.pk]) == number

    again = io.StringIO()
    call_command("reencrypt_fields", stdout=again)
    assert "origination.Payee: up to date" in again.getvalue()
    assert "Re-encrypted 0 row(s)." in again.getvalue()
    assert {p.pk: p.account_number_enc for p in Payee.objects.all()} == stored
