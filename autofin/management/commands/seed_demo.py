"""Fill an empty database with believable demo data, app by app.

Each app's seed module has `seed(*, stdout, context)`; they run in dependency order and share
`context` (users, dealers, products ...), so later apps build on earlier ones.
"""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from autofin.models import User
from autofin.seed.users import DEMO_PASSWORD, demo_password

# Dotted paths, in dependency order, imported when the command runs: autofin is the app the
# others build on and imports none of them.
SEED_MODULES = [
    "autofin.seed.users",
    "dealers.seed",
    "origination.seed",
    "risk.seed",
    "servicing.seed.demo",
]


class Command(BaseCommand):
    help = "Create demo users for every role, dealers, products and history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has users (safe to run on every start).",
        )

    def handle(self, *args, **options):
        # Demo data leans on the sandbox rails and creates users with a known password: never
        # in a deployment (`make run`, the tests and the compose demo profile set the flag).
        if not settings.AUTOFIN_SANDBOX:
            raise CommandError("seed_demo runs only with AUTOFIN_SANDBOX=1 (development, demo).")
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            self._print_logins([(u.username, "") for u in User.objects.order_by("username")[:30]])
            return
        context: dict = {}
        for path in SEED_MODULES:
            module = import_module(path)
            self.stdout.write(f"Seeding {path.partition('.')[0]} …")
            with transaction.atomic():
                module.seed(stdout=self.stdout, context=context)
        self._print_logins(context.get("logins", []))

    def _print_logins(self, logins) -> None:
        shown = DEMO_PASSWORD if demo_password() == DEMO_PASSWORD else "$AUTOFIN_DEMO_PASSWORD"
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {shown}):"))
        for username, label in logins:
            self.stdout.write(f"  {username:<16} {label}")
