from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "servicing"
    verbose_name = _("放款与贷后")

    def ready(self) -> None:
        # Imported here, not at the top: approvals and the services import models, which
        # Django's app loading must have finished before ready() runs; the adapters take the
        # services' handlers in the same breath.
        from servicing import (
            approvals,  # imports models (see above)
            lease_approvals,  # imports models (see above)
        )
        from servicing.adapters import payment_callback_handler_register  # registration
        from servicing.gateway.interface import bank_callback_receiver_register  # registration
        from servicing.services.disbursement.settle import bank_callback_receive  # models
        from servicing.services.payment_callbacks import payment_callback_route  # models
        from servicing.services.periods import approval as period_approval  # models
        from servicing.services.provisions import approval as provision_approval  # models

        approvals.register()
        lease_approvals.register()
        provision_approval.register()
        period_approval.register()
        # The sandboxes (payment provider, bank) call back in-process; the adapters never
        # import the services, so the services' handlers are handed to them here.
        payment_callback_handler_register(payment_callback_route)
        bank_callback_receiver_register(bank_callback_receive)
