"""The one contract-number format (合同编号), printed as stored on every page, PDF, SMS, CSV and
ledger memo: AF-<year>-<six-digit serial>, e.g. AF-2026-000123. Contracts are numbered by
origination when issued (the serial is the contract row's id); servicing's and the dealers'
demo data number theirs with the same function, from serials of their own, so no page shows a
second shape (the demo once showed AF-2026-000123, HT202600001 and HT0012611 01)."""

from __future__ import annotations


def contract_ref_make(*, year: int, serial: int) -> str:
    """AF-2026-000123 for (2026, 123); a serial past 999999 simply grows a digit."""
    return f"AF-{year:04d}-{serial:06d}"


def complaint_ref_make(*, year: int, serial: int) -> str:
    """The complaint reference (投诉编号) the customer quotes: TS-<year>-<six-digit serial>, the
    serial being the complaint row's id, e.g. TS-2026-000042."""
    return f"TS-{year:04d}-{serial:06d}"
