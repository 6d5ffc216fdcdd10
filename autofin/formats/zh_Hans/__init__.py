"""Formats for this language: see autofin/formats/__init__.py."""
