"""The deposit figures the portal shows, pushed by servicing (which holds the deposit's ledger)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from autofin.money import quantize_fen
from dealers.models.deposits import DealerDeposit


def dealer_deposit_figures_set(
    *, dealer_id: int, required: Decimal, held: Decimal, on: dt.date
) -> DealerDeposit:
    """Servicing calls this whenever a call, receipt or refund changes a dealer's deposit; the
    amount still to pay in is what is required beyond what is held."""
    required, held = quantize_fen(required), quantize_fen(held)
    row, _created = DealerDeposit.objects.update_or_create(
        dealer_id=dealer_id,
        defaults={
            "required": required,
            "held": held,
            "due": max(required - held, Decimal("0.00")),
            "as_of": on,
        },
    )
    return row
