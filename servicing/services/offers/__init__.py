"""Pre-approved offers to existing customers (issue 21): issuing one from the risk engine's
pre-approval (`issue.py`, and the nightly batch's candidates), expiring them, the customer's
decline (`lifecycle.py`)."""
