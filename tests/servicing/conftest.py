"""servicing tests: the ledger fixtures live in tests/conftest.py (every app may post)."""
