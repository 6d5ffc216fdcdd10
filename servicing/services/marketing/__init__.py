"""Precision marketing (issue 21 §3): segment rules over customer facts (`rules`), their
set-based computation (`segments`), campaigns with consent, frequency caps, contact hours and a
hold-out (`campaigns`), tracking and one-tap unsubscribe links (`links`), attribution of what
contacts did next (`attribution`) and the funnel and uplift report (`report`).
docs/marketing.md describes the rules a marketing user sees."""
