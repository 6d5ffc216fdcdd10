"""The customer lifecycle's URLs (issue 21): the customer view, complaints and care, segments,
campaigns and offers, maintenance credit, insurance renewals — in the servicing namespace
(servicing/urls.py adds them). One block per area, in the order above."""

from django.urls import path  # noqa: F401 - the areas' blocks below use it

customer_patterns: list = []

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
