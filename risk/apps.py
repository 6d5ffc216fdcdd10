from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("风险")

    def ready(self) -> None:
        # risk.approvals reads models and services: importable only once the app registry is ready.
        from risk import approvals

        approvals.register()
        # the pre-approval thresholds are risk's policy keys (autofin.policy reads no app)
        from risk.policies import preapproval_policies_register

        preapproval_policies_register()
