"""The demo's floor-plan (库存融资): the senior underwriter opens a line for the first two
active dealers at their suggested limit (or ¥2,000,000 with a reason when their record suggests
less), and the first dealer's admin asks to finance one car paid to the dealer, so
`dealer1_admin` sees the line's use in the portal and `fin_maker` has a request to approve."""

from __future__ import annotations

from decimal import Decimal

from autofin.roles import Role
from autofin.seed.users import demo_user
from dealers.models.dealers import DealerStatus
from dealers.models.staff import DealerStaff, StaffRole
from origination.models.floorplan import DEFAULT_CURTAILMENT_PLAN, FloorplanLine
from origination.seed.applications import vin_make
from origination.selectors.floorplan import dealer_line_suggestion
from origination.services.floorplan import line_open
from servicing.services.floorplan.advances import advance_request

FLOOR = Decimal("2000000.00")
RATE = Decimal("0.055")
LINES = 2


def floorplan_seed(*, stdout, context: dict) -> None:
    if FloorplanLine.objects.exists():
        stdout.write("  floor-plan lines: already seeded\n")
        return
    users = context.get("users") or {}
    senior = users.get(Role.SENIOR_UNDERWRITER) or demo_user(
        "uw_senior", "高级审批员 陈静", Role.SENIOR_UNDERWRITER
    )
    dealers = [d for d in context.get("dealers", []) if d.status == DealerStatus.ACTIVE]
    lines = []
    for n, dealer in enumerate(dealers[:LINES], 1):
        suggested = dealer_line_suggestion(dealer.pk)["suggested"]
        limit = max(suggested, FLOOR)
        line = line_open(
            dealer_id=dealer.pk,
            limit=limit,
            annual_rate=RATE,
            curtailment_plan=[list(stage) for stage in DEFAULT_CURTAILMENT_PLAN],
            oem_buyback_agreement=f"OEM-BB-2026-{n:04d}",
            by=senior,
            reason="" if limit == suggested else "演示：厂家三方回购协议担保",
        )
        lines.append(line)
    admin = (
        DealerStaff.objects.filter(dealer_id=lines[0].dealer_id, role=StaffRole.DEALER_ADMIN)
        .select_related("user")
        .first()
        if lines
        else None
    )
    if admin is not None:
        advance_request(
            line=lines[0],
            vin=vin_make("LSVAU218", "RA", "100001"),
            model_name="大众 帕萨特 2026 款 330TSI",
            invoice_price="215800.00",
            oem_invoice_number="31000260001",
            amount="194220.00",
            payee_kind="dealer",
            by=admin.user,
        )
    stdout.write(f"  floor-plan lines: {len(lines)}, advances requested: {int(bool(admin))}\n")
