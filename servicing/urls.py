from django.conf import settings
from django.urls import path

from servicing.views import (
    collections,
    commission_payouts,
    compliance,
    customer,
    deposits,
    disbursement,
    eod,
    floorplan_finance,
    floorplan_portal,
    loans,
    payoff,
    periods,
    provisions,
    repayments,
    sandbox,
)

app_name = "servicing"
urlpatterns = [
    # --- the customer's self-service ---
    path("my/loans/", customer.my_loans, name="my_loans"),
    path("my/loans/<int:loan_id>/", customer.my_loan_detail, name="my_loan_detail"),
    path("my/loans/<int:loan_id>/pay/", customer.my_loan_pay, name="my_loan_pay"),
    path("my/loans/<int:loan_id>/payoff/", payoff.my_loan_payoff, name="my_loan_payoff"),
    path("my/loans/<int:loan_id>/prepay/", payoff.my_loan_prepay, name="my_loan_prepay"),
    path(
        "my/loans/<int:loan_id>/statements/",
        customer.my_loan_statements,
        name="my_loan_statements",
    ),
    path("my/contact/", customer.my_contact, name="my_contact"),
    # --- compliance (反洗钱) ---
    path("compliance/", compliance.compliance_queue, name="compliance_queue"),
    path("compliance/hits/<int:hit_id>/", compliance.screening_hit_case, name="compliance_hit"),
    path("compliance/alerts/<int:alert_id>/", compliance.aml_alert_case, name="compliance_alert"),
    path(
        "compliance/alerts/<int:alert_id>/decide/",
        compliance.aml_alert_action,
        name="compliance_alert_action",
    ),
    path(
        "compliance/alerts/<int:alert_id>/report.csv",
        compliance.aml_alert_report,
        name="compliance_alert_report",
    ),
    # --- the servicing agent ---
    path("servicing/loans/", loans.loan_search, name="loan_search"),
    path("servicing/loans/<int:loan_id>/", loans.loan_detail, name="loan_detail"),
    path(
        "servicing/loans/<int:loan_id>/repayment/",
        repayments.loan_manual_repayment,
        name="loan_manual_repayment",
    ),
    path(
        "servicing/repayments/<int:repayment_id>/approve/",
        repayments.repayment_approve,
        name="repayment_approve",
    ),
    path(
        "servicing/repayments/<int:repayment_id>/reject/",
        repayments.repayment_reject,
        name="repayment_reject",
    ),
    path(
        "servicing/repayments/<int:repayment_id>/reverse/",
        repayments.repayment_reverse,
        name="repayment_reverse",
    ),
    path(
        "servicing/reversals/<int:reversal_id>/approve/",
        repayments.reversal_approve,
        name="reversal_approve",
    ),
    path(
        "servicing/reversals/<int:reversal_id>/reject/",
        repayments.reversal_reject,
        name="reversal_reject",
    ),
    path(
        "servicing/loans/<int:loan_id>/restructure/",
        loans.loan_restructure,
        name="loan_restructure",
    ),
    path(
        "servicing/loans/<int:loan_id>/payoff/", loans.loan_payoff_quote, name="loan_payoff_quote"
    ),
    path("servicing/loans/<int:loan_id>/note/", loans.loan_note, name="loan_note"),
]

# The sandbox provider's cashier page marks orders paid on request: it exists only in a sandbox.
if settings.AUTOFIN_SANDBOX:
    urlpatterns.append(
        path("pay/sandbox/<str:provider_ref>/", sandbox.sandbox_pay, name="sandbox_pay")
    )

# --- disbursement (finance) ---
urlpatterns += [
    path("finance/disbursements/", disbursement.disbursement_list, name="disbursement_list"),
    path(
        "finance/disbursements/prepare/",
        disbursement.disbursement_prepare,
        name="disbursement_prepare",
    ),
    path(
        "finance/disbursements/<int:disbursement_id>/",
        disbursement.disbursement_detail,
        name="disbursement_detail",
    ),
    path(
        "finance/disbursements/<int:disbursement_id>/approve/",
        disbursement.disbursement_approve,
        name="disbursement_approve",
    ),
    path(
        "finance/instructions/<int:instruction_id>/retry/",
        disbursement.instruction_retry,
        name="instruction_retry",
    ),
    path("finance/funding/", disbursement.funding_board, name="funding_board"),
    path(
        "finance/commission-payouts/",
        commission_payouts.payout_list,
        name="commission_payout_list",
    ),
    path(
        "finance/commission-payouts/<int:payout_id>/",
        commission_payouts.payout_detail,
        name="commission_payout_detail",
    ),
    path(
        "finance/commission-payouts/<int:payout_id>/invoice/",
        commission_payouts.payout_invoice,
        name="commission_payout_invoice",
    ),
    path(
        "finance/commission-payouts/<int:payout_id>/prepare/",
        commission_payouts.payout_prepare,
        name="commission_payout_prepare",
    ),
    path(
        "finance/commission-payouts/<int:payout_id>/approve/",
        commission_payouts.payout_approve,
        name="commission_payout_approve",
    ),
    path(
        "finance/commission-payouts/<int:payout_id>/retry/",
        commission_payouts.payout_retry,
        name="commission_payout_retry",
    ),
    path("finance/deposits/", deposits.deposit_list, name="deposit_list"),
    path("finance/deposits/receipt/", deposits.deposit_receipt, name="deposit_receipt"),
    path("finance/deposits/refund/", deposits.deposit_refund, name="deposit_refund"),
    path(
        "finance/deposits/refunds/<int:refund_id>/release/",
        deposits.deposit_refund_release,
        name="deposit_refund_release",
    ),
    path(
        "finance/instructions/<int:instruction_id>/reveal/",
        disbursement.instruction_reveal,
        name="instruction_reveal",
    ),
    path("finance/periods/", periods.period_list, name="period_list"),
    path("finance/periods/<int:year>/<int:month>/", periods.period_detail, name="period_detail"),
    path(
        "finance/periods/<int:year>/<int:month>/close/",
        periods.period_close_view,
        name="period_close",
    ),
    path(
        "finance/periods/<int:year>/<int:month>/adjust/",
        periods.period_adjust,
        name="period_adjust",
    ),
    path(
        "finance/periods/<int:year>/<int:month>/trial-balance.csv",
        periods.period_trial_balance_csv,
        name="period_trial_balance_csv",
    ),
    path(
        "finance/periods/<int:year>/<int:month>/gl.csv",
        periods.period_gl_csv,
        name="period_gl_csv",
    ),
    path("finance/reconciliation/", disbursement.reconciliation_list, name="reconciliation_list"),
    path(
        "finance/reconciliation/<int:run_id>/",
        disbursement.reconciliation_detail,
        name="reconciliation_detail",
    ),
]

# --- the nightly settlement (eod) and collections ---
urlpatterns += [
    path("servicing/eod/", eod.eod_dashboard, name="eod_dashboard"),
    path("servicing/eod/progress/", eod.eod_progress, name="eod_progress"),
    path(
        "servicing/eod/<int:batch_id>/progress/",
        eod.eod_progress,
        name="eod_progress_batch",
    ),
    path("servicing/eod/<int:batch_id>/", eod.eod_batch_detail, name="eod_batch_detail"),
    path("servicing/eod/<int:batch_id>/retry/", eod.eod_retry, name="eod_retry"),
    path("servicing/eod/start/", eod.eod_start, name="eod_start"),
    path("servicing/eod/confirm/", eod.eod_confirm, name="eod_confirm"),
    path("servicing/eod/curves/", eod.eod_curves, name="eod_curves"),
    path("servicing/provisions/", provisions.provisions, name="provisions"),
    path("servicing/provisions/<int:run_id>/", provisions.provisions, name="provisions_run"),
    path("servicing/provisions/compute/", provisions.provisions_compute, name="provisions_compute"),
    path(
        "servicing/provisions/<int:run_id>/post/",
        provisions.provisions_post,
        name="provisions_post",
    ),
    path("servicing/collections/", collections.collections_queue, name="collections_queue"),
    path(
        "servicing/collections/<int:case_id>/",
        collections.collections_case,
        name="collections_case",
    ),
    path(
        "servicing/collections/<int:case_id>/contact/",
        collections.collections_contact,
        name="collections_contact",
    ),
    path(
        "servicing/collections/<int:case_id>/promise/",
        collections.collections_promise,
        name="collections_promise",
    ),
    path(
        "servicing/collections/<int:case_id>/note/",
        collections.collections_note,
        name="collections_note",
    ),
]

# --- fp3: floor-plan (库存融资): the dealer portal's pages and finance's
urlpatterns += [
    path("dealer/floorplan/", floorplan_portal.dealer_floorplan, name="dealer_floorplan"),
    path(
        "dealer/floorplan/request/",
        floorplan_portal.dealer_floorplan_request,
        name="dealer_floorplan_request",
    ),
    path(
        "dealer/floorplan/statement/",
        floorplan_portal.dealer_floorplan_statement,
        name="dealer_floorplan_statement",
    ),
    path(
        "dealer/floorplan/statement.csv",
        floorplan_portal.dealer_floorplan_statement_csv,
        name="dealer_floorplan_statement_csv",
    ),
    path("finance/floorplan/", floorplan_finance.floorplan_board, name="floorplan_board"),
    path(
        "finance/floorplan/advances/<int:advance_id>/approve/",
        floorplan_finance.floorplan_advance_approve,
        name="floorplan_advance_approve",
    ),
    path(
        "finance/floorplan/advances/<int:advance_id>/reject/",
        floorplan_finance.floorplan_advance_reject,
        name="floorplan_advance_reject",
    ),
    path(
        "finance/floorplan/advances/<int:advance_id>/release/",
        floorplan_finance.floorplan_advance_release,
        name="floorplan_advance_release",
    ),
    path(
        "finance/floorplan/advances/<int:advance_id>/certificate/",
        floorplan_finance.floorplan_certificate_receive,
        name="floorplan_certificate_receive",
    ),
    path(
        "finance/floorplan/advances/<int:advance_id>/payoff/",
        floorplan_finance.floorplan_payoff_record,
        name="floorplan_payoff_record",
    ),
]
