"""The customer lifecycle's URLs (issue 21): the customer view, complaints and care, segments,
campaigns and offers, maintenance credit, insurance renewals — in the servicing namespace
(servicing/urls.py adds them). One block per area, in the order above."""

from django.urls import path  # noqa: F401 - the areas' blocks below use it

customer_patterns: list = []

# --- marketing: segments and campaigns (营销), the tracking and unsubscribe links, consent
from servicing.views import marketing as marketing_views  # noqa: E402 - one block per area

customer_patterns += [
    path("marketing/segments/", marketing_views.segment_list, name="marketing_segments"),
    path("marketing/segments/new/", marketing_views.segment_edit, name="marketing_segment_new"),
    path(
        "marketing/segments/<int:segment_id>/",
        marketing_views.segment_edit,
        name="marketing_segment_edit",
    ),
    path(
        "marketing/segments/<int:segment_id>/compute/",
        marketing_views.segment_recompute,
        name="marketing_segment_compute",
    ),
    path(
        "marketing/segments/preview/",
        marketing_views.segment_preview,
        name="marketing_segment_preview",
    ),
    path("marketing/campaigns/", marketing_views.campaign_list, name="marketing_campaigns"),
    path("marketing/campaigns/new/", marketing_views.campaign_new, name="marketing_campaign_new"),
    path(
        "marketing/campaigns/preview/",
        marketing_views.campaign_preview,
        name="marketing_campaign_preview",
    ),
    path(
        "marketing/campaigns/<int:campaign_id>/",
        marketing_views.campaign_detail,
        name="marketing_campaign",
    ),
    path(
        "marketing/campaigns/<int:campaign_id>/launch/",
        marketing_views.campaign_launch,
        name="marketing_campaign_launch",
    ),
    path("m/o/<str:token>/", marketing_views.marketing_open, name="marketing_open"),
    path(
        "m/unsubscribe/<str:token>/",
        marketing_views.marketing_unsubscribe,
        name="marketing_unsubscribe",
    ),
    path(
        "my/marketing-consent/", marketing_views.my_marketing_consent, name="my_marketing_consent"
    ),
]
