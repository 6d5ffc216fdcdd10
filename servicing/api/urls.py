from django.urls import path

from servicing.api import (
    bank,
    commission_payouts,
    loans,
    payments,
    repayments,
    reversals,
    telematics,
)

app_name = "servicing-api"
urlpatterns = [
    path(
        "telematics/events/",
        telematics.TelematicsEventsView.as_view(),
        name="telematics-events",
    ),
    path("", loans.LoanListView.as_view(), name="loan-list"),
    path("<int:loan_id>/", loans.LoanDetailView.as_view(), name="loan-detail"),
    path(
        "<int:loan_id>/repayments/",
        repayments.RepaymentCreateView.as_view(),
        name="repayment-create",
    ),
    path("<int:loan_id>/payments/", payments.PaymentCreateView.as_view(), name="payment-create"),
    path(
        "<int:loan_id>/payoff-quotes/", loans.PayoffQuoteCreateView.as_view(), name="payoff-quote"
    ),
    path(
        "repayments/<int:repayment_id>/reverse/",
        reversals.RepaymentReverseView.as_view(),
        name="repayment-reverse",
    ),
    path(
        "repayments/<int:repayment_id>/approve/",
        repayments.RepaymentApproveView.as_view(),
        name="repayment-approve",
    ),
    path(
        "repayments/<int:repayment_id>/reject/",
        repayments.RepaymentRejectView.as_view(),
        name="repayment-reject",
    ),
    path(
        "reversals/<int:reversal_id>/approve/",
        reversals.ReversalApproveView.as_view(),
        name="reversal-approve",
    ),
    path(
        "reversals/<int:reversal_id>/reject/",
        reversals.ReversalRejectView.as_view(),
        name="reversal-reject",
    ),
    path("payments/callback/", payments.PaymentCallbackView.as_view(), name="payment-callback"),
    path("bank/callback/", bank.BankCallbackView.as_view(), name="bank-callback"),
    path(
        "commission-payouts/",
        commission_payouts.PayoutListView.as_view(),
        name="commission-payout-list",
    ),
    path(
        "commission-payouts/<int:payout_id>/",
        commission_payouts.PayoutDetailView.as_view(),
        name="commission-payout-detail",
    ),
    path(
        "commission-payouts/<int:payout_id>/prepare/",
        commission_payouts.PayoutPrepareView.as_view(),
        name="commission-payout-prepare",
    ),
    path(
        "commission-payouts/<int:payout_id>/release/",
        commission_payouts.PayoutReleaseView.as_view(),
        name="commission-payout-release",
    ),
]
