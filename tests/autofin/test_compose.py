"""Issue #14: `docker compose up` is a deployment, not a demo. The demo users exist only with the
`demo` profile, with a password from the environment and never the README's."""

from __future__ import annotations

from pathlib import Path

import yaml

from autofin.seed.users import DEMO_PASSWORD

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def test_only_the_demo_profile_seeds_demo_users_and_it_needs_its_own_password():
    seeding = {n: s for n, s in _services().items() if "seed_demo" in str(s.get("command", ""))}
    assert list(seeding) == ["demo-seed"]
    demo = seeding["demo-seed"]
    assert demo["profiles"] == ["demo"]
    assert demo["environment"]["AUTOFIN_DEMO_PASSWORD"] == "${AUTOFIN_DEMO_PASSWORD:-}"
    # the command stops before migrating or seeding when no password was given
    assert demo["command"].strip().startswith('sh -c \'test -n "$$AUTOFIN_DEMO_PASSWORD" ||')
    assert DEMO_PASSWORD not in COMPOSE.read_text(encoding="utf-8")


def test_every_service_starts_without_the_sandbox_unless_asked():
    for name, service in _services().items():
        env = service.get("environment") or {}
        if "AUTOFIN_SANDBOX" in env or name not in {"postgres", "redis"}:
            assert env.get("AUTOFIN_SANDBOX") == "${AUTOFIN_SANDBOX:-0}", name
        assert "DEBUG" not in env, name
