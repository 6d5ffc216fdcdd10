"""Risk's forms: the filters of its pages."""
