"""Automated credit decisions, one module per use case: the pure evaluation (``evaluate``) and
its affordability and counter-offer arithmetic (``affordability``), making and storing a
decision (``make``), replaying a stored one (``replay``) and a customer's request for a human
review (``review``)."""
