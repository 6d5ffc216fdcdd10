"""Monthly revaluation of every car on book (车辆重估), set-based.

1. `price_index_load`: the valuation adapter's residual-value table of the month
   (`ValuationAdapter.price_index`: segment × age in months × region) is stored once
   (VehiclePriceIndex); a month already stored is not asked again.
2. `revalue_range`: one INSERT … SELECT per chunk values every open loan of an id range not yet
   valued this month, from its application's car (servicing may read origination):

       value = deal price × f_now / f_then × m_now / m_then       (rounded half-up to the fen)

   f_now: the index factor of the car's segment (vehicle_kind) at its age today (from the first
   registration, or the value date for a new car), of the loan's dealer's province where the
   provider gives one, else national; f_then: the national factor at its age when financed (the
   deal price already reflects that age). m: the mileage factor max(0.5, 1 − km / 600,000) of
   a used car whose mileage was recorded, now counting ANNUAL_KM a year since the value date;
   1 without a recorded mileage. Ages beyond the table use its oldest row.

       ltv_current = principal outstanding / value                (4 places, half-up)

   Written to LoanExternalFacts (vehicle_value, ltv_current, valued_on) and once per month to
   LoanValuation (the LTV-by-vintage report). PostgreSQL's round() rounds half away from zero:
   half-up for these positive figures. A re-run of the month writes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from risk.adapters import valuation_adapter
from risk.services.early_warning import ltv_warning_limit
from servicing.eod.sql import CLOSED_SQL, one, run
from servicing.models.collateral_checks import VehiclePriceIndex

ANNUAL_KM = 20_000


def _months(a: str, b: str) -> str:
    """Whole months from date a to date b, integer arithmetic (no age() on a million rows)."""
    return (
        f"((extract(year FROM {b}) - extract(year FROM {a})) * 12"
        f" + extract(month FROM {b}) - extract(month FROM {a})"
        f" - CASE WHEN extract(day FROM {b}) < extract(day FROM {a}) THEN 1 ELSE 0 END)::int"
    )


BORN = "coalesce(a.first_registration_date, l.value_date)"
MILEAGE = "greatest(0.5, 1 - ({km})::numeric / 600000)"
KM_NOW = "a.mileage_km + %(km)s * " + _months("l.value_date", "%(d)s::date") + " / 12.0"
MILEAGE_RATIO = MILEAGE.format(km=KM_NOW) + " / " + MILEAGE.format(km="a.mileage_km")
REVALUE = f"""
WITH src AS MATERIALIZED (
    SELECT l.id, l.principal_outstanding AS ead, date_trunc('month', l.value_date)::date AS vintage,
           a.vehicle_price AS price, a.vehicle_kind AS segment, coalesce(dl.province, '') AS region,
           greatest(0, least(%(max_age)s, {_months(BORN, "%(d)s::date")})) AS age_now,
           greatest(0, least(%(max_age)s, {_months(BORN, "l.value_date")})) AS age_then,
           CASE WHEN a.vehicle_kind = 'used' AND a.mileage_km IS NOT NULL
                THEN {MILEAGE_RATIO}
                ELSE 1 END AS mileage
      FROM servicing_loan l
      JOIN origination_application a ON a.id = l.application_id
      LEFT JOIN dealers_dealer dl ON dl.id = l.dealer_id
      LEFT JOIN servicing_loanexternalfacts f
         ON f.loan_id = l.id AND f.loan_id BETWEEN %(lo)s AND %(hi)s
     WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.status NOT IN {CLOSED_SQL}
       AND l.value_date <= %(d)s AND a.vehicle_price > 0
       AND (f.valued_on IS NULL OR f.valued_on < %(month)s)),
valued AS MATERIALIZED (
    SELECT s.id, s.ead, s.vintage,
           round(s.price * coalesce(rn.factor, nn.factor) / nt.factor * s.mileage, 2) AS value
      FROM src s
      JOIN servicing_vehiclepriceindex nn
        ON nn.month = %(month)s AND nn.segment = s.segment AND nn.age_months = s.age_now
       AND nn.region = ''
      JOIN servicing_vehiclepriceindex nt
        ON nt.month = %(month)s AND nt.segment = s.segment AND nt.age_months = s.age_then
       AND nt.region = ''
      LEFT JOIN servicing_vehiclepriceindex rn
        ON rn.month = %(month)s AND rn.segment = s.segment AND rn.age_months = s.age_now
       AND rn.region = s.region AND s.region <> ''),
ratioed AS MATERIALIZED (
    SELECT v.*, round(v.ead / v.value, 4) AS ltv FROM valued v WHERE v.value > 0),
history AS (
    INSERT INTO servicing_loanvaluation
        (month, loan_id, vintage, principal_outstanding, vehicle_value, ltv)
    SELECT %(month)s, r.id, r.vintage, r.ead, r.value, r.ltv FROM ratioed r
    ON CONFLICT (month, loan_id) DO NOTHING)
INSERT INTO servicing_loanexternalfacts (loan_id, vehicle_value, ltv_current, valued_on)
SELECT r.id, r.value, r.ltv, %(d)s FROM ratioed r
ON CONFLICT (loan_id) DO UPDATE
   SET vehicle_value = EXCLUDED.vehicle_value, ltv_current = EXCLUDED.ltv_current,
       valued_on = EXCLUDED.valued_on
"""  # noqa: S608 - SQL built from constants; values are bound


def price_index_load(*, month: dt.date) -> int:
    """Store the month's index from the valuation adapter unless stored already. Rows added."""
    if VehiclePriceIndex.objects.filter(month=month).exists():
        return 0
    table = valuation_adapter().price_index(month=f"{month:%Y-%m}")
    rows = VehiclePriceIndex.objects.bulk_create(
        [
            VehiclePriceIndex(
                month=month,
                segment=r["segment"],
                age_months=int(r["age_months"]),
                region=r.get("region") or "",
                factor=Decimal(str(r["factor"])),
            )
            for r in table
        ],
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:  # the chunks' plans need the new rows' statistics
        cursor.execute("ANALYZE servicing_vehiclepriceindex")
    return len(rows)


def revalue_range(*, lo: int, hi: int, business_date: dt.date) -> dict:
    """Value the open loans of [lo, hi] not valued this month; the LTV warning count."""
    month = business_date.replace(day=1)
    (max_age,) = one(
        "SELECT coalesce(max(age_months), 0) FROM servicing_vehiclepriceindex WHERE month = %s",
        [month],
    )
    params = {"lo": lo, "hi": hi, "d": business_date, "month": month, "max_age": max_age,
              "km": ANNUAL_KM}  # fmt: skip
    valued = run(REVALUE, params)
    (high,) = one(
        "SELECT count(*) FROM servicing_loanexternalfacts"
        " WHERE loan_id BETWEEN %s AND %s AND valued_on = %s AND ltv_current > %s",
        [lo, hi, business_date, ltv_warning_limit() or Decimal("Infinity")],
    )
    return {"valued": valued, "ltv_high": high}
