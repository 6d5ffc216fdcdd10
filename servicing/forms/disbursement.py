"""Forms of the finance pages: a bank reconciliation run (the payee register's form is
origination's, with the register)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ReconciliationForm(forms.Form):
    statement_date = forms.DateField(
        label=_("对账日"), widget=forms.DateInput(attrs={"type": "date"})
    )
