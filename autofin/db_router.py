"""Writes and migrations always go to the primary, whichever alias a row was read from.

A row read through the replica alias (autofin.replica.read_alias) carries that alias in its
state; without this router a later save() of it would be sent to the read-only replica.
Reads are left to the caller (`.using(read_alias())`) and to Django's default of following the
instance they come from.
"""

from __future__ import annotations

from autofin.replica import PRIMARY


class PrimaryWritesRouter:
    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias is the same database (a replica is a copy of the primary)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
