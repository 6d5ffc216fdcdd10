from django.conf import settings
from django.urls import path

from servicing.urls_customers import customer_patterns
from servicing.urls_leases import lease_patterns
from servicing.views import (
    collections,
    commission_payouts,
    compliance,
    credit_reporting,
    customer,
    dealer_deposit,
    deposits,
    disbursement,
    eod,
    floorplan_audits,
    floorplan_finance,
    floorplan_portal,
    gl_mapping,
    loans,
    oem_claims,
    payoff,
    periods,
    provisions,
    regulatory,
    repayments,
    repossession,
    repurchases,
    sandbox,
    warning_actions,
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
    path("servicing/warning-actions/", warning_actions.warning_actions, name="warning_actions"),
    path(
        "servicing/warning-actions/<int:action_id>/close/",
        warning_actions.warning_action_close_view,
        name="warning_action_close",
    ),
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

# --- OEM subsidy claims (oem)
urlpatterns += [
    path("finance/oem-claims/", oem_claims.oem_claim_list, name="oem_claim_list"),
    path(
        "finance/oem-claims/generate/",
        oem_claims.oem_claims_generate_view,
        name="oem_claims_generate",
    ),
    path(
        "finance/oem-claims/<int:claim_id>/", oem_claims.oem_claim_detail, name="oem_claim_detail"
    ),
    path(
        "finance/oem-claims/<int:claim_id>/claim.csv",
        oem_claims.oem_claim_csv,
        name="oem_claim_csv",
    ),
    path(
        "finance/oem-claims/<int:claim_id>/send/",
        oem_claims.oem_claim_send_view,
        name="oem_claim_send",
    ),
    path(
        "finance/oem-claims/<int:claim_id>/receipt/",
        oem_claims.oem_claim_receipt_view,
        name="oem_claim_receipt",
    ),
    path(
        "finance/oem-claims/<int:claim_id>/invoice-reverse/",
        oem_claims.oem_claim_invoice_reverse_view,
        name="oem_claim_invoice_reverse",
    ),
    path(
        "finance/oem-claims/lines/<int:line_id>/",
        oem_claims.oem_claim_line_view,
        name="oem_claim_line",
    ),
    path(
        "finance/oem-claims/agreements/<int:agreement_id>/",
        oem_claims.oem_agreement_view,
        name="oem_agreement",
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
    # --- repossession and remarketing (收车与处置), legal cases (repo)
    path("servicing/repossession/", repossession.repossession_list, name="repossession_list"),
    path(
        "servicing/repossession/new/<int:collection_case_id>/",
        repossession.repossession_new,
        name="repossession_new",
    ),
    path(
        "servicing/repossession/<int:case_id>/",
        repossession.repossession_detail,
        name="repossession_detail",
    ),
    path(
        "servicing/repossession/<int:case_id>/act/",
        repossession.repossession_act,
        name="repossession_act",
    ),
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
    path("servicing/credit-reporting/", credit_reporting.credit_reporting, name="credit_reporting"),
    path(
        "servicing/credit-reporting/<int:year>/<int:month>.csv",
        credit_reporting.credit_reporting_csv,
        name="credit_reporting_csv",
    ),
    path(
        "servicing/credit-reporting/records/<int:record_id>/correct/",
        credit_reporting.credit_record_correct,
        name="credit_record_correct",
    ),
    path(
        "servicing/credit-reporting/disputes/",
        credit_reporting.credit_dispute_open,
        name="credit_dispute_open",
    ),
    path(
        "servicing/credit-reporting/disputes/<int:dispute_id>/answer/",
        credit_reporting.credit_dispute_answer,
        name="credit_dispute_answer",
    ),
]

# --- product → GL mapping and regulatory reports (gl) ---
urlpatterns += [
    path("finance/gl-mapping/", gl_mapping.gl_mapping_list, name="gl_mapping"),
    path("finance/gl-mapping/submit/", gl_mapping.gl_mapping_submit_view, name="gl_mapping_submit"),
    path(
        "finance/gl-mapping/<int:mapping_id>/decide/",
        gl_mapping.gl_mapping_decide_view,
        name="gl_mapping_decide",
    ),
    path(
        "finance/periods/<int:year>/<int:month>/gl-trial-balance.csv",
        gl_mapping.gl_trial_balance_csv,
        name="gl_trial_balance_csv",
    ),
    path("finance/regulatory-reports/", regulatory.regulatory_reports, name="regulatory_reports"),
    path(
        "finance/regulatory-reports/<int:year>/<int:month>/",
        regulatory.regulatory_reports_month,
        name="regulatory_reports_month",
    ),
    path(
        "finance/regulatory-reports/<int:year>/<int:month>/<slug:code>.csv",
        regulatory.regulatory_report_csv,
        name="regulatory_report_csv",
    ),
    path("finance/repurchases/", repurchases.repurchase_list, name="repurchase_list"),
    path("finance/repurchases/request/", repurchases.repurchase_create, name="repurchase_create"),
    path(
        "finance/repurchases/<int:repurchase_id>/decide/",
        repurchases.repurchase_decide,
        name="repurchase_decide",
    ),
    path(
        "finance/repurchases/<int:repurchase_id>/receipt/",
        repurchases.repurchase_receipt,
        name="repurchase_receipt",
    ),
    path("dealer/repurchases/", repurchases.dealer_repurchases, name="dealer_repurchases"),
    path(
        "finance/repurchases/departing-set-off/",
        repurchases.departing_dealer_set_off,
        name="departing_dealer_set_off",
    ),
    path("dealer/deposit/pay/", dealer_deposit.dealer_deposit_pay, name="dealer_deposit_pay"),
    # --- floor-plan stock audits (盘库) and the line statement's CSV ---
    path("servicing/floorplan/audits/", floorplan_audits.audit_list, name="floorplan_audits"),
    path(
        "servicing/floorplan/audits/<int:audit_id>/",
        floorplan_audits.audit_detail,
        name="floorplan_audit",
    ),
    path(
        "servicing/floorplan/audits/<int:audit_id>/start/",
        floorplan_audits.audit_begin,
        name="floorplan_audit_start",
    ),
    path(
        "servicing/floorplan/audits/<int:audit_id>/items/<int:item_id>/",
        floorplan_audits.audit_item_record,
        name="floorplan_audit_item",
    ),
    path(
        "servicing/floorplan/audits/<int:audit_id>/items/<int:item_id>/photo/",
        floorplan_audits.audit_item_photo,
        name="floorplan_audit_photo",
    ),
    path(
        "servicing/floorplan/audits/<int:audit_id>/complete/",
        floorplan_audits.audit_finish,
        name="floorplan_audit_complete",
    ),
    path(
        "finance/floorplan/lines/<int:line_id>/statement.csv",
        floorplan_audits.line_statement_csv,
        name="floorplan_line_statement_csv",
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

# financing leases: the asset register, end of term, invoices and reports (issue 19)
urlpatterns += lease_patterns
urlpatterns += customer_patterns
