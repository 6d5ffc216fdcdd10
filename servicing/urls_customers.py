"""The customer lifecycle's URLs (issue 21): the customer view, complaints and care, segments,
campaigns and offers, maintenance credit, insurance renewals — in the servicing namespace
(servicing/urls.py adds them). One block per area, in the order above."""

from django.urls import path  # noqa: F401 - the areas' blocks below use it

customer_patterns: list = []
