"""Origination's pages: the calculator and products, application intake (customers and the
dealer portal), the underwriting workbench and the customer's contract pages."""

from django.urls import path

from origination.views import (
    apply,
    bank_cards,
    calculator,
    contracts,
    dealer,
    floorplan,
    item_payees,
    payee_register,
    payees,
    privacy,
    products,
    report,
    signup,
    steps,
    todo,
    workbench,
)

app_name = "origination"
urlpatterns = [
    path("calculator/", calculator.calculator, name="calculator"),
    path("calculator/schedule/", calculator.calculator_schedule, name="calculator_schedule"),
    path(
        "calculator/schedule.csv",
        calculator.calculator_schedule,
        {"fmt": "csv"},
        name="calculator_schedule_csv",
    ),
    path(
        "calculator/schedule.pdf",
        calculator.calculator_schedule,
        {"fmt": "pdf"},
        name="calculator_schedule_pdf",
    ),
    path("quotes/<uuid:reference>/schedule/", calculator.quote_schedule, name="quote_schedule"),
    path(
        "quotes/<uuid:reference>/schedule.csv",
        calculator.quote_schedule,
        {"fmt": "csv"},
        name="quote_schedule_csv",
    ),
    path(
        "quotes/<uuid:reference>/schedule.pdf",
        calculator.quote_schedule,
        {"fmt": "pdf"},
        name="quote_schedule_pdf",
    ),
    path("products/", products.product_list, name="product_list"),
    path("products/<slug:code>/", products.product_detail, name="product_detail"),
    path("products/<slug:code>/draft/", products.product_draft, name="product_draft"),
    path(
        "products/<slug:code>/versions/<int:number>/edit/",
        products.product_edit,
        name="product_edit",
    ),
    path(
        "products/<slug:code>/versions/<int:number>/publish/",
        products.product_publish,
        name="product_publish",
    ),
    # application intake: the customer's pages, consents and personal data, the dealer
    # portal's application pages (mounted beside dealers' /dealer/ pages)
    path("apply/signup/", signup.signup, name="signup"),
    path("apply/login/", signup.login_code, name="login_code"),
    path("apply/", apply.apply_start, name="apply_start"),
    path("payees/search/", payees.payee_search_options, name="payee_search"),
    path("finance/payees/", payee_register.payee_list, name="payee_list"),
    path(
        "finance/payees/changes/<int:change_id>/evidence/",
        payee_register.payee_change_evidence,
        name="payee_change_evidence",
    ),
    path(
        "finance/payees/changes/<int:change_id>/decide/",
        payee_register.payee_change_decide,
        name="payee_change_decide",
    ),
    path("apply/quote/", steps.quote_preview, name="apply_quote"),
    path("apply/confirm/<str:token>/", apply.apply_confirm, name="apply_confirm"),
    path("apply/<str:reference>/<slug:step>/", apply.apply_step, name="apply_step"),
    path("my/applications/", apply.my_applications, name="my_applications"),
    path(
        "my/applications/<str:reference>/",
        apply.application_detail,
        name="application_detail",
    ),
    path(
        "my/applications/<str:reference>/status/",
        todo.application_status_poll,
        name="application_status_poll",
    ),
    path(
        "my/applications/<str:reference>/withdraw/",
        apply.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "my/applications/<str:reference>/review/",
        apply.application_review_request,
        name="application_review_request",
    ),
    path("my/consents/", privacy.consents_page, name="consents"),
    path("my/consents/<int:pk>/withdraw/", privacy.consent_withdraw, name="consent_withdraw"),
    path("my/data/export/", privacy.data_export, name="data_export"),
    path("my/data/delete/", privacy.data_delete, name="data_delete"),
    path(
        "applications/documents/<int:pk>/",
        apply.document_download,
        name="document_download",
    ),
    path("applications/report/", report.intake_report, name="intake_report"),
    # the dealer portal
    path("dealer/pipeline/", dealer.dealer_pipeline, name="dealer_pipeline"),
    path("dealer/applications/", dealer.dealer_applications, name="dealer_applications"),
    path(
        "dealer/applications/new/",
        dealer.dealer_application_new,
        name="dealer_application_new",
    ),
    path(
        "dealer/applications/<str:reference>/",
        dealer.dealer_application_detail,
        name="dealer_application_detail",
    ),
    path(
        "dealer/applications/<str:reference>/confirm-sms/",
        dealer.dealer_send_confirmation,
        name="dealer_send_confirmation",
    ),
    path(
        "dealer/applications/<str:reference>/<slug:step>/",
        dealer.dealer_application_step,
        name="dealer_application_step",
    ),
    # the underwriting workbench (back office) and the customer's contract pages
    path("workbench/", workbench.workbench, name="workbench"),
    path("workbench/cases/<str:reference>/", workbench.case, name="workbench_case"),
    path("workbench/cases/<str:reference>/claim/", workbench.claim, name="workbench_claim"),
    path(
        "workbench/cases/<str:reference>/release/",
        workbench.release,
        name="workbench_release",
    ),
    path(
        "workbench/cases/<str:reference>/escalate/",
        workbench.escalate,
        name="workbench_escalate",
    ),
    path(
        "workbench/cases/<str:reference>/approve/",
        workbench.approve,
        name="workbench_approve",
    ),
    path(
        "workbench/cases/<str:reference>/counter-offer/",
        workbench.counter_offer,
        name="workbench_counter_offer",
    ),
    path(
        "workbench/cases/<str:reference>/request-documents/",
        workbench.request_documents,
        name="workbench_request_documents",
    ),
    path(
        "workbench/cases/<str:reference>/decline/",
        workbench.decline,
        name="workbench_decline",
    ),
    path(
        "workbench/cases/<str:reference>/items/<str:item_kind>/payee/",
        item_payees.item_payee,
        name="workbench_item_payee",
    ),
    path(
        "workbench/conditions/<int:pk>/resolve/",
        workbench.condition_resolve,
        name="workbench_condition_resolve",
    ),
    path("workbench/documents/<int:pk>/", workbench.document, name="workbench_document"),
    path(
        "workbench/contracts/<str:contract_ref>/",
        workbench.contract_detail,
        name="workbench_contract",
    ),
    path(
        "workbench/contracts/<str:contract_ref>/pdf/",
        workbench.contract_pdf,
        name="workbench_contract_pdf",
    ),
    path(
        "workbench/checklist/<int:pk>/",
        workbench.checklist_record,
        name="workbench_checklist_record",
    ),
    path(
        "contracts/<str:contract_ref>/sign/",
        contracts.contract_sign_page,
        name="contract_sign",
    ),
    path(
        "contracts/<str:contract_ref>/bank-card/",
        bank_cards.contract_bank_card,
        name="contract_bank_card",
    ),
    path(
        "workbench/contracts/<str:contract_ref>/bank-card/",
        bank_cards.workbench_contract_bank_card,
        name="workbench_contract_bank_card",
    ),
    path(
        "contracts/<str:contract_ref>/code/",
        contracts.contract_send_code,
        name="contract_send_code",
    ),
    path(
        "contracts/<str:contract_ref>/pdf/",
        contracts.contract_document,
        name="contract_document",
    ),
    path("counter-offers/<int:pk>/", contracts.counter_offer_page, name="counter_offer"),
    # --- fp3: floor-plan lines (库存融资额度), the underwriters' page
    path("workbench/floorplan/", floorplan.floorplan_lines, name="floorplan_lines"),
    path("workbench/floorplan/open/", floorplan.floorplan_line_open, name="floorplan_line_open"),
    path("workbench/floorplan/<int:line_id>/", floorplan.floorplan_line, name="floorplan_line"),
    path(
        "workbench/floorplan/<int:line_id>/change/",
        floorplan.floorplan_line_change,
        name="floorplan_line_change",
    ),
    path(
        "workbench/floorplan/<int:line_id>/status/",
        floorplan.floorplan_line_status,
        name="floorplan_line_status",
    ),
]
