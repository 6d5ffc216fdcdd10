from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "servicing"
    verbose_name = _("放款与贷后")

    def ready(self) -> None:
        # approvals imports the models and services: only once Django has loaded every app.
        from servicing import approvals

        approvals.register()
