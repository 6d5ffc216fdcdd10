"""Template tags of origination: the customer's 待办 panel on any page (home, my pages)."""
