"""Why the embedded servers could not be started, stopped or taken over."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class EmbeddedServicesError(RuntimeError):
    """The embedded servers could not be started or stopped."""


class EmbeddedServicesBusy(EmbeddedServicesError):
    """Another live process owns the embedded servers of this data folder."""

    def __init__(self, data_dir: Path, state: dict[str, Any]) -> None:
        self.data_dir = data_dir
        self.state = state
        owner = state.get("owner_pid", "unknown")
        lines = [
            f"The embedded servers under {data_dir} are already in use by process {owner}.",
            "Stop that process first, choose another folder with AUTOFIN_DATA_DIR=..., or use",
            "its servers by setting:",
        ]
        lines += [
            f"  {key}={state[key]}" for key in ("DATABASE_URL", "REDIS_URL") if state.get(key)
        ]
        super().__init__("\n".join(lines))
