"""The customer lifecycle's URLs (issue 21): the customer view, complaints and care, segments,
campaigns and offers, maintenance credit, insurance renewals — in the servicing namespace
(servicing/urls.py adds them). One block per area, in the order above."""

from django.urls import path  # noqa: F401 - the areas' blocks below use it

customer_patterns: list = []

# --- offers: the customer's pre-approved offers and taking one up
from servicing.views import offers as offer_views  # noqa: E402 - the block's own import

customer_patterns += [
    path("my/offers/", offer_views.my_offers, name="my_offers"),
    path(
        "my/offers/<int:offer_id>/decline/", offer_views.my_offer_decline, name="my_offer_decline"
    ),
    path("my/offers/<int:offer_id>/use/", offer_views.my_offer_use, name="my_offer_use"),
    path("my/offers/<int:offer_id>/sign/", offer_views.my_offer_sign, name="my_offer_sign"),
    path("my/offers/<int:offer_id>/code/", offer_views.my_offer_send_code, name="my_offer_code"),
]
