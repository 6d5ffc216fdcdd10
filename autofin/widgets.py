"""Form widgets shared by the apps.

`UserDataSelect`: a select whose option texts are data people typed (product names chosen by a
product manager, dealer names), not interface text: each option carries `data-user-content`, so
the English walk (tests/english_walk.py) does not count a Chinese name as a missing translation."""

from __future__ import annotations

from django import forms


class UserDataSelect(forms.Select):
    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value not in (None, ""):  # the empty choice ("全部", "---------") is interface text
            option["attrs"]["data-user-content"] = ""
        return option
