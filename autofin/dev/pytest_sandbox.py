"""A pytest plugin (loaded by `-p autofin.dev.pytest_sandbox` in pyproject's addopts): the tests run
against the sandbox rails, so AUTOFIN_SANDBOX=1 must be in the environment before pytest-django
imports the settings, which happens before any conftest.py is read."""

import os

os.environ.setdefault("AUTOFIN_SANDBOX", "1")
