from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("风险")

    def ready(self) -> None:
        # risk.approvals reads models and services: importable only once the app registry is ready.
        from risk import approvals

        approvals.register()
