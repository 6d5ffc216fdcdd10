from django.conf import settings
from django.urls import path

from servicing import urls_eod, views

app_name = "servicing"
urlpatterns = [
    path("my/loans/", views.my_loans, name="my_loans"),
    path("my/loans/<int:loan_id>/", views.my_loan_detail, name="my_loan_detail"),
    path("my/loans/<int:loan_id>/pay/", views.my_loan_pay, name="my_loan_pay"),
    path("my/loans/<int:loan_id>/payoff/", views.my_loan_payoff, name="my_loan_payoff"),
    path("my/loans/<int:loan_id>/prepay/", views.my_loan_prepay, name="my_loan_prepay"),
    path("my/loans/<int:loan_id>/statements/", views.my_loan_statements, name="my_loan_statements"),
    path("my/contact/", views.my_contact, name="my_contact"),
    path("servicing/loans/", views.loan_search, name="loan_search"),
    path("servicing/loans/<int:loan_id>/", views.loan_detail, name="loan_detail"),
    path(
        "servicing/loans/<int:loan_id>/repayment/",
        views.loan_manual_repayment,
        name="loan_manual_repayment",
    ),
    path(
        "servicing/repayments/<int:repayment_id>/approve/",
        views.repayment_approve,
        name="repayment_approve",
    ),
    path(
        "servicing/repayments/<int:repayment_id>/reject/",
        views.repayment_reject,
        name="repayment_reject",
    ),
    path(
        "servicing/repayments/<int:repayment_id>/reverse/",
        views.repayment_reverse,
        name="repayment_reverse",
    ),
    path(
        "servicing/reversals/<int:reversal_id>/approve/",
        views.reversal_approve,
        name="reversal_approve",
    ),
    path(
        "servicing/reversals/<int:reversal_id>/reject/",
        views.reversal_reject,
        name="reversal_reject",
    ),
    path(
        "servicing/loans/<int:loan_id>/restructure/",
        views.loan_restructure,
        name="loan_restructure",
    ),
    path(
        "servicing/loans/<int:loan_id>/payoff/", views.loan_payoff_quote, name="loan_payoff_quote"
    ),
    path("servicing/loans/<int:loan_id>/note/", views.loan_note, name="loan_note"),
]

# The sandbox provider's cashier page marks orders paid on request: it exists only in a sandbox.
if settings.AUTOFIN_SANDBOX:
    urlpatterns.append(
        path("pay/sandbox/<str:provider_ref>/", views.sandbox_pay, name="sandbox_pay")
    )

# --- disbursement (finance) ---
from servicing import views_disbursement as vd  # noqa: E402

urlpatterns += [
    path("finance/disbursements/", vd.disbursement_list, name="disbursement_list"),
    path("finance/disbursements/prepare/", vd.disbursement_prepare, name="disbursement_prepare"),
    path(
        "finance/disbursements/<int:disbursement_id>/",
        vd.disbursement_detail,
        name="disbursement_detail",
    ),  # fmt: skip
    path(
        "finance/disbursements/<int:disbursement_id>/approve/",
        vd.disbursement_approve,
        name="disbursement_approve",
    ),  # fmt: skip
    path(
        "finance/instructions/<int:instruction_id>/retry/",
        vd.instruction_retry,
        name="instruction_retry",
    ),  # fmt: skip
    path("finance/payees/", vd.payee_list, name="payee_list"),
    path(
        "finance/payees/changes/<int:change_id>/decide/",
        vd.payee_change_decide,
        name="payee_change_decide",
    ),  # fmt: skip
    path("finance/reconciliation/", vd.reconciliation_list, name="reconciliation_list"),
    path(
        "finance/reconciliation/<int:run_id>/",
        vd.reconciliation_detail,
        name="reconciliation_detail",
    ),  # fmt: skip
    # nightly settlement (eod) and collections
    *urls_eod.urlpatterns,
]
