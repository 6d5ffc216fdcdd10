"""Origination write use cases, one module per area (products, quotes; applications later)."""
