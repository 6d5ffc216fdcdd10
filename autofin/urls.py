from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from autofin.api import approvals as api_approvals
from autofin.api.root import api_root
from autofin.views import accounts, approvals, health

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/reauth/", accounts.reauth, name="reauth"),
    path("accounts/password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("approvals/", approvals.approvals, name="approvals"),
    path(
        "approvals/<int:request_id>/approve/",
        approvals.approval_approve,
        name="approval_approve",
    ),
    path(
        "approvals/<int:request_id>/reject/",
        approvals.approval_reject,
        name="approval_reject",
    ),
    path(
        "approvals/<int:request_id>/cancel/",
        approvals.approval_cancel,
        name="approval_cancel",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api_root, name="api-root"),
    path("api/v1/", include("origination.api.urls")),
    path("api/v1/approvals/", api_approvals.ApprovalListView.as_view(), name="api-approvals"),
    path(
        "api/v1/approvals/<int:request_id>/approve/",
        api_approvals.ApprovalApproveView.as_view(),
        name="api-approval-approve",
    ),
    path(
        "api/v1/approvals/<int:request_id>/reject/",
        api_approvals.ApprovalRejectView.as_view(),
        name="api-approval-reject",
    ),
    path(
        "api/v1/approvals/<int:request_id>/cancel/",
        api_approvals.ApprovalCancelView.as_view(),
        name="api-approval-cancel",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/dealer/", include("dealers.api.urls")),
    path("api/v1/loans/", include("servicing.api.urls")),
    path("", include("origination.urls")),
    path("dealer/", include("dealers.urls")),
    path("", include("servicing.urls")),
    path("", include("risk.urls")),
    path("api/v1/compliance/", include("servicing.api.compliance_urls")),
]
