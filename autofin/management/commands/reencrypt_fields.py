"""Move every encrypted field to the current key (the first of FIELD_ENCRYPTION_KEYS).

Key rotation: put the new key first, deploy, run this, then drop the old key. Encrypted fields
are the text fields named `*_enc` on any model. Rows are rewritten in batches, each in its own
short transaction with the rows locked; values already under the current key are skipped, so
the command is idempotent and can be stopped and run again.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from autofin.crypto import KEY_ID_PREFIX, current_key_id, decrypt, encrypt, needs_reencryption


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [
            f.name
            for f in model._meta.concrete_fields
            if f.name.endswith("_enc") and isinstance(f, models.CharField | models.TextField)
        ]
        if names:
            found.append((model, names))
    return sorted(found, key=lambda pair: pair[0]._meta.label)


def _stale(names: list[str], prefix: str) -> models.Q:
    return reduce(
        or_, (~models.Q(**{f"{n}__startswith": prefix}) & ~models.Q(**{n: ""}) for n in names)
    )


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the current key (first FIELD_ENCRYPTION_KEYS)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        prefix = f"{KEY_ID_PREFIX}{current_key_id()}:"
        self.stdout.write(f"Current key: {current_key_id()}")
        total = 0
        for model, names in encrypted_fields():
            stale = model._default_manager.filter(_stale(names, prefix))
            todo = stale.count()
            done, last_pk = 0, None
            while True:
                page = stale.order_by("pk")
                if last_pk is not None:
                    page = page.filter(pk__gt=last_pk)
                pks = list(page.values_list("pk", flat=True)[:batch_size])
                if not pks:
                    break
                with transaction.atomic():
                    rows = list(
                        model._default_manager.select_for_update()
                        .filter(pk__in=pks)
                        .order_by("pk")
                        .only("pk", *names)
                    )
                    for row in rows:
                        for name in names:
                            value = getattr(row, name)
                            if needs_reencryption(value):
                                setattr(row, name, encrypt(decrypt(value)))
                    model._default_manager.bulk_update(rows, names)
                done += len(pks)
                last_pk = pks[-1]
                self.stdout.write(f"  {model._meta.label}: {done}/{todo}")
            if todo == 0:
                self.stdout.write(f"  {model._meta.label}: up to date")
            total += done
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} row(s)."))
