"""Write use cases of the dealers app (keyword-only, each in its own transaction)."""

from dealers.services.commissions import (
    agreement_create,
    agreement_in_force,
    commission_accrue,
    commission_clawback,
    commission_compute,
    commission_statement_for_month,
    commission_statement_mark_paid,
    dealer_kpis_record,
)
from dealers.services.grading import (
    dealer_alert_resolve,
    dealer_grade_recompute_now,
    dealer_grades_recompute,
    dealer_sold_out_of_trust_alert,
    grade_compute,
    grading_policy_active,
)
from dealers.services.onboarding import (
    bank_account_change_approve,
    bank_account_change_prepare,
    bank_account_change_reject,
    dealer_account_manager_assign,
    dealer_licence_upload,
    dealer_onboard,
    dealer_transition,
    uscc_clean,
)
from dealers.services.staff import (
    invitation_for_token,
    staff_create,
    staff_deactivate,
    staff_invitation_accept,
    staff_invite,
    user_sessions_end,
)

__all__ = [
    "agreement_create",
    "agreement_in_force",
    "bank_account_change_approve",
    "bank_account_change_prepare",
    "bank_account_change_reject",
    "commission_accrue",
    "commission_clawback",
    "commission_compute",
    "commission_statement_for_month",
    "commission_statement_mark_paid",
    "dealer_account_manager_assign",
    "dealer_alert_resolve",
    "dealer_grade_recompute_now",
    "dealer_grades_recompute",
    "dealer_kpis_record",
    "dealer_licence_upload",
    "dealer_onboard",
    "dealer_sold_out_of_trust_alert",
    "dealer_transition",
    "grade_compute",
    "grading_policy_active",
    "invitation_for_token",
    "staff_create",
    "staff_deactivate",
    "staff_invitation_accept",
    "staff_invite",
    "uscc_clean",
    "user_sessions_end",
]
