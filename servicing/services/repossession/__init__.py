"""Repossession and remarketing (收车与处置): cases asked for and approved (`cases.py`), their
legal matters (`legal.py`), the costs and the surplus paid out (`payments.py`, `bank.py`), and
the sale or redemption that closes them (`sale.py`)."""
