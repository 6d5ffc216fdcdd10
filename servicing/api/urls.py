from django.urls import path

from servicing.api import views

app_name = "servicing-api"
urlpatterns = [
    path("", views.LoanListView.as_view(), name="loan-list"),
    path("<int:loan_id>/", views.LoanDetailView.as_view(), name="loan-detail"),
    path("<int:loan_id>/repayments/", views.RepaymentCreateView.as_view(), name="repayment-create"),
    path("<int:loan_id>/payments/", views.PaymentCreateView.as_view(), name="payment-create"),
    path(
        "<int:loan_id>/payoff-quotes/", views.PayoffQuoteCreateView.as_view(), name="payoff-quote"
    ),
    path(
        "repayments/<int:repayment_id>/reverse/",
        views.RepaymentReverseView.as_view(),
        name="repayment-reverse",
    ),
    path(
        "repayments/<int:repayment_id>/approve/",
        views.RepaymentApproveView.as_view(),
        name="repayment-approve",
    ),
    path(
        "repayments/<int:repayment_id>/reject/",
        views.RepaymentRejectView.as_view(),
        name="repayment-reject",
    ),
    path(
        "reversals/<int:reversal_id>/approve/",
        views.ReversalApproveView.as_view(),
        name="reversal-approve",
    ),
    path(
        "reversals/<int:reversal_id>/reject/",
        views.ReversalRejectView.as_view(),
        name="reversal-reject",
    ),
    path("payments/callback/", views.PaymentCallbackView.as_view(), name="payment-callback"),
    path("bank/callback/", views.BankCallbackView.as_view(), name="bank-callback"),
]
