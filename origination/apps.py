from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OriginationConfig(AppConfig):
    name = "origination"
    verbose_name = _("进件与审批")

    def ready(self) -> None:
        # Models load after AppConfig: the approval handlers (which use them) register once
        # the app registry is ready.
        from origination import approvals

        approvals.register()
