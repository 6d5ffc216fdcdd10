"""Where read-only pages read from: a replica when one is configured, else the primary.

Lists and dashboards that tolerate a few seconds of lag (portfolio curves, the agent's loan
search, turnaround figures) read through `read_alias()`. Anything that decides or moves money,
and the period close and regulatory reports (whose figures must match the ledger as it stands),
read `PRIMARY` — a replica's lag would make a closed month's report disagree with its trial
balance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

PRIMARY = "default"


def read_alias() -> str:
    alias = settings.READ_REPLICA_ALIAS
    if alias and alias in connections.settings:
        return alias
    return PRIMARY
