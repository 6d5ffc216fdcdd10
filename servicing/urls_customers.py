"""The customer lifecycle's URLs (issue 21): the customer view, complaints and care, segments,
campaigns and offers, maintenance credit, insurance renewals — in the servicing namespace
(servicing/urls.py adds them). One block per area, in the order above."""

from django.urls import path  # noqa: F401 - the areas' blocks below use it

customer_patterns: list = []

# --- crm: one customer, one view (the agent's search and the customer page)
from servicing.views import customers as crm_views  # noqa: E402 - one block per area

customer_patterns += [
    path("servicing/customers/", crm_views.customer_search, name="customer_search"),
    path("servicing/customers/<int:user_id>/", crm_views.customer_detail, name="customer_detail"),
    path(
        "servicing/customers/<int:user_id>/reveal/",
        crm_views.customer_reveal,
        name="customer_reveal",
    ),
]

# --- nbo: the next-best-offer model page (marketing, risk analysts)
from servicing.views import nbo as nbo_views  # noqa: E402 - this block's own import

customer_patterns += [
    path("marketing/nbo/", nbo_views.nbo_model, name="nbo_model"),
    path("marketing/nbo/status/", nbo_views.nbo_status, name="nbo_status"),
    path("marketing/nbo/train/", nbo_views.nbo_retrain, name="nbo_retrain"),
    path("marketing/nbo/v<int:version>/", nbo_views.nbo_model_version, name="nbo_model_version"),
]

# --- insurance: the customer's renewals, the agents' policies, finance's commission
from servicing.views import insurance  # noqa: E402 - this block's own import

customer_patterns += [
    path("my/insurance/", insurance.my_insurance, name="my_insurance"),
    path("my/insurance/quotes/<int:quote_id>/pay/", insurance.my_insurance_pay,
         name="my_insurance_pay"),
    path("my/insurance/quotes/<int:quote_id>/finance/", insurance.my_insurance_finance,
         name="my_insurance_finance"),
    path("my/insurance/policies/<int:policy_id>/elsewhere/", insurance.my_insurance_elsewhere,
         name="my_insurance_elsewhere"),
    path("servicing/loans/<int:loan_id>/insurance/", insurance.loan_policies,
         name="loan_policies"),
    path("servicing/insurance/expiring/", insurance.policies_expiring_list,
         name="insurance_expiring"),
    path("servicing/insurance/commission/", insurance.commission_page,
         name="insurance_commission"),
]  # fmt: skip

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

# --- complaints (complaints, care, surveys)
from servicing.views import complaints as _complaints  # noqa: E402 - this block's own import
from servicing.views import my_complaints as _my_complaints  # noqa: E402 - this block's own import

customer_patterns += [
    path("my/complaints/", _my_complaints.my_complaints, name="my_complaints"),
    path("my/complaints/new/", _my_complaints.my_complaint_new, name="my_complaint_new"),
    path(
        "my/complaints/<int:complaint_id>/",
        _my_complaints.my_complaint_detail,
        name="my_complaint_detail",
    ),
    path(
        "my/complaints/<int:complaint_id>/answer/",
        _my_complaints.my_complaint_answer,
        name="my_complaint_answer",
    ),
    path("survey/<str:signed>/", _my_complaints.survey_page, name="survey_answer"),
    path(
        "dealer/complaints/new/", _my_complaints.dealer_complaint_new, name="dealer_complaint_new"
    ),
    path("servicing/complaints/", _complaints.complaint_list, name="complaint_list"),
    path("servicing/complaints/new/", _complaints.complaint_new, name="complaint_new"),
    path(
        "servicing/complaints/report/", _complaints.complaint_report_page, name="complaint_report"
    ),
    path(
        "servicing/complaints/report.csv",
        _complaints.complaint_report_csv,
        name="complaint_report_csv",
    ),
    path(
        "servicing/complaints/<int:complaint_id>/",
        _complaints.complaint_detail,
        name="complaint_detail",
    ),
    path(
        "servicing/complaints/<int:complaint_id>/<slug:action>/",
        _complaints.complaint_action,
        name="complaint_action",
    ),
]

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
    path(
        "marketing/campaigns/<int:campaign_id>/edit/",
        marketing_views.campaign_edit,
        name="marketing_campaign_edit",
    ),
    path(
        "marketing/campaigns/<int:campaign_id>/cancel/",
        marketing_views.campaign_cancel,
        name="marketing_campaign_cancel",
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

# --- integrate: a car offer taken up by starting the car application from it; finance paying
# premiums on to the insurers
customer_patterns += [
    path("my/offers/<int:offer_id>/apply/", offer_views.my_offer_apply, name="my_offer_apply"),
    path("servicing/insurance/remittances/", insurance.remittance_page,
         name="insurance_remittances"),
]  # fmt: skip
