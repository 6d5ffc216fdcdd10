"""Origination's REST API, one module per resource (products, quotes, applications) with its
serializers beside it."""
