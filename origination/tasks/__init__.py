"""Celery tasks of origination: thin wrappers that take ids, re-fetch and call services.

Celery's autodiscovery imports this package only, so it loads each task module here for their
tasks to register. Each task keeps the name it had before the package (``name=``): queued
messages, the routes in settings and the services' ``send_task`` calls name it that way.
"""

from origination.tasks import contracts, decisions, documents  # noqa: F401 - registers the tasks
