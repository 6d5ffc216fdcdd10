"""`make run --port N` (or `make run PORT=N`): the links in the demo's texts and e-mails lead to
the port it listens on, not settings' default 8000; a SITE_URL the developer set is kept."""

from __future__ import annotations

import os

from autofin.dev.run import children_environ


def _restored_after(monkeypatch) -> None:
    """What children_environ sets goes back as it was after the test."""
    for name in ("PYTHONUNBUFFERED", "HTTPS", "STATIC_COMPRESS", "AUTOFIN_SANDBOX"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)


def test_the_site_url_is_the_port_the_launcher_listens_on(monkeypatch):
    _restored_after(monkeypatch)
    monkeypatch.delenv("SITE_URL", raising=False)
    children_environ("0.0.0.0", 8014)
    assert os.environ["SITE_URL"] == "http://127.0.0.1:8014"


def test_a_site_url_the_developer_set_is_kept(monkeypatch):
    _restored_after(monkeypatch)
    monkeypatch.setenv("SITE_URL", "https://demo.example.cn")
    children_environ("127.0.0.1", 8014)
    assert os.environ["SITE_URL"] == "https://demo.example.cn"
