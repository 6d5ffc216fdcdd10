from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AutofinConfig(AppConfig):
    name = "autofin"
    verbose_name = _("平台")

    def ready(self) -> None:
        # Project modules are imported here, not at the top: they import models, and Django
        # imports apps.py before any model may be (the app registry is ready only now).
        from autofin import checks as _deploy_checks  # noqa: F401 - registers the deploy checks

        # Registers the tasks other modules schedule by name, so that under
        # CELERY_TASK_ALWAYS_EAGER (tests, demo) they run inline, as a direct call did.
        from autofin import tasks as _tasks  # noqa: F401
        from autofin.reauth import reauth_connect  # (models: see above)
        from autofin.roles import roles_sync_after_migrate  # (models: see above)
        from autofin.security_log import (  # (models: see above)
            security_log_connect,
            security_log_retention_check,
        )

        security_log_connect()
        reauth_connect()
        checks.register(security_log_retention_check, checks.Tags.security)

        # Permissions of later apps exist only after their migrations ran, so the role groups
        # are re-synced after every migrate rather than once in a data migration.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="autofin.roles_sync")
        post_migrate.connect(_policies_seed_after_migrate, dispatch_uid="autofin.policies_seed")


def _policies_seed_after_migrate(sender, **kwargs) -> None:  # noqa: ARG001 - signal signature
    # Once per migrate (the autofin app's signal), after the table exists.
    if getattr(sender, "name", None) != "autofin":
        return
    # Here, not at the top: autofin.policy imports models, and apps.py loads before them.
    from autofin.policy import policies_seed

    policies_seed()
