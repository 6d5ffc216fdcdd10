from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("风险")

    def ready(self) -> None:
        from risk import approvals

        approvals.register()
