"""risk's Celery tasks (thin wrappers); importing the package registers them."""

from risk.tasks import screening  # noqa: F401 - registration by import
