"""The product editor's forms besides the rate grid: the draft's terms, repayment methods,
amount range, balloon range and penalty markup (``ProductRulesForm``), and its LTV rules, fees
and financed items as rows a product manager adds, edits and removes (formsets).

These forms only read what is typed into the structure ``ProductVersion`` stores (ratios as
decimal strings in the JSON lists, percentages typed as 6.5 = 6.5 %); whether the values are
allowed is decided once, by ``rules_validate`` in the service, and its violations are put back
beside the field or row they name (``ProductEditor.violations_show``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.fields import PlainDecimalField
from origination.forms.products import ProductGridForm, percent_shown, plain
from origination.models import (
    FeeKind,
    ItemKind,
    PayeeType,
    RepaymentMethod,
    VehicleKind,
    VehicleUse,
)

HUNDRED = Decimal(100)
# The terms a product manager ticks from (months); a draft's own unusual terms are added.
STANDARD_TERMS = (6, 12, 18, 24, 36, 48, 60)
FEE_BASIS_CHOICES = (
    ("percent", gettext_lazy("按比例（%）")),
    ("fixed", gettext_lazy("固定金额（元）")),
    ("per_instalment", gettext_lazy("每期收取（元）")),
)


def _number(**kwargs) -> PlainDecimalField:
    # A text box, not <input type=number>: its step would refuse 15.88 and it hides 1,000s.
    widget = forms.TextInput(attrs={"inputmode": "decimal"})
    return PlainDecimalField(widget=widget, max_digits=18, **kwargs)


def _percent(label, *, required: bool = True, places: int = 4) -> PlainDecimalField:
    # places=2 where the version stores the ratio in a 4-place column (the markup, balloon)
    return _number(required=required, decimal_places=places, label=label)


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(value / HUNDRED)


class ProductRulesForm(forms.Form):
    terms = forms.TypedMultipleChoiceField(
        label=gettext_lazy("可选期限"), coerce=int, widget=forms.CheckboxSelectMultiple,
        required=False,
    )  # fmt: skip
    max_term_months = forms.IntegerField(
        label=gettext_lazy("最长期限（月）"), min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    methods = forms.MultipleChoiceField(
        label=gettext_lazy("还款方式"), choices=RepaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple, required=False,
    )  # fmt: skip
    amount_min = _number(label=gettext_lazy("最低融资额（元）"), decimal_places=2)
    amount_max = _number(label=gettext_lazy("最高融资额（元）"), decimal_places=2)
    balloon_ratio_min = _percent(gettext_lazy("尾款比例下限（%）"), required=False, places=2)
    balloon_ratio_max = _percent(gettext_lazy("尾款比例上限（%）"), required=False, places=2)
    penalty_markup = _percent(gettext_lazy("罚息上浮比例（%）"), places=2)
    # Early settlement and the OEM subsidy: blank reads as none (no lock-in, no fee, no subsidy).
    lock_in_months = forms.IntegerField(
        label=gettext_lazy("提前结清锁定期（月）"), min_value=0, max_value=120, required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    early_settlement_fee_rate = _percent(
        gettext_lazy("提前结清手续费率（%）"), required=False, places=2
    )
    subsidy_customer_rate = _percent(gettext_lazy("贴息后客户年利率（%）"), required=False)
    subsidy_terms = forms.TypedMultipleChoiceField(
        label=gettext_lazy("贴息期限（不选表示全部期限）"), coerce=int,
        widget=forms.CheckboxSelectMultiple, required=False,
    )  # fmt: skip
    subsidy_payer = forms.CharField(label=gettext_lazy("贴息厂商"), max_length=100, required=False)
    leaseback_title = forms.ChoiceField(
        label=gettext_lazy("回租车辆权属"), required=False,
        choices=[("", "—"), ("transfer", gettext_lazy("过户至出租人")),
                 ("mortgage", gettext_lazy("抵押登记给出租人"))],
    )  # fmt: skip

    def __init__(self, *args, rules: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        terms = sorted(set(STANDARD_TERMS) | set(rules["terms"]))
        self.fields["terms"].choices = [(t, _("%(n)s 期") % {"n": t}) for t in terms]
        subsidy = rules.get("subsidy") or {}
        subsidy_terms = sorted(set(terms) | set(subsidy.get("terms") or []))
        self.fields["subsidy_terms"].choices = [
            (t, _("%(n)s 期") % {"n": t}) for t in subsidy_terms
        ]
        self.initial = {
            "terms": rules["terms"],
            "max_term_months": rules["max_term_months"],
            "methods": rules["methods"],
            "amount_min": plain(rules["amount_min"]),
            "amount_max": plain(rules["amount_max"]),
            "balloon_ratio_min": percent_shown(rules["balloon_ratio_min"]),
            "balloon_ratio_max": percent_shown(rules["balloon_ratio_max"]),
            "penalty_markup": percent_shown(rules["penalty_markup"]),
            "lock_in_months": rules.get("lock_in_months") or 0,
            "early_settlement_fee_rate": percent_shown(rules.get("early_settlement_fee_rate")),
            "subsidy_customer_rate": percent_shown(subsidy.get("customer_rate")),
            "subsidy_terms": subsidy.get("terms") or [],
            "subsidy_payer": subsidy.get("payer", ""),
            "leaseback_title": rules.get("leaseback_title") or "",
        }
        if rules.get("contract_type") != "sale_leaseback":
            del self.fields["leaseback_title"]  # only a sale-leaseback product has the choice

    def clean(self):
        data = super().clean()
        subsidised = data.get("subsidy_customer_rate") is not None
        if not subsidised and (data.get("subsidy_terms") or data.get("subsidy_payer")):
            self.add_error(
                "subsidy_customer_rate",
                _("设置贴息期限或贴息厂商时，请填写贴息后客户年利率；不贴息请留空这三项。"),
            )
        return data

    def rules_changes(self) -> dict:
        data = self.cleaned_data
        return {
            "terms": sorted(data["terms"]),
            "max_term_months": data["max_term_months"],
            "methods": list(data["methods"]),
            "amount_min": data["amount_min"],
            "amount_max": data["amount_max"],
            "balloon_ratio_min": _ratio(data["balloon_ratio_min"]),
            "balloon_ratio_max": _ratio(data["balloon_ratio_max"]),
            "penalty_markup": _ratio(data["penalty_markup"]),
            "lock_in_months": data["lock_in_months"] or 0,
            "early_settlement_fee_rate": _ratio(data["early_settlement_fee_rate"] or Decimal(0)),
            "subsidy_customer_rate": _ratio(data["subsidy_customer_rate"]),
            "subsidy_terms": sorted(data["subsidy_terms"]),
            "subsidy_payer": data["subsidy_payer"].strip(),
            **(
                {"leaseback_title": data["leaseback_title"]}
                if "leaseback_title" in self.fields
                else {}
            ),
        }


def _choice(label, choices) -> forms.ChoiceField:
    # A blank first option, so the empty row for adding one is left out when nothing is picked.
    return forms.ChoiceField(label=label, choices=[("", "—"), *choices])


class LtvRuleForm(forms.Form):
    vehicle_kind = _choice(gettext_lazy("车辆类型"), VehicleKind.choices)
    vehicle_use = _choice(gettext_lazy("用途"), VehicleUse.choices)
    min_down_payment_ratio = _percent(gettext_lazy("最低首付比例（%）"))
    max_ltv = _percent(gettext_lazy("贷款价值比上限（%）"))

    def rule(self) -> dict:
        data = self.cleaned_data
        return {
            "vehicle_kind": data["vehicle_kind"],
            "vehicle_use": data["vehicle_use"],
            "min_down_payment_ratio": _ratio(data["min_down_payment_ratio"]),
            "max_ltv": _ratio(data["max_ltv"]),
        }

    @staticmethod
    def initial_of(rule: dict) -> dict:
        return {
            **rule,
            "min_down_payment_ratio": percent_shown(rule["min_down_payment_ratio"]),
            "max_ltv": percent_shown(rule["max_ltv"]),
        }


class FeeRuleForm(forms.Form):
    fee_kind = _choice(gettext_lazy("费用"), FeeKind.choices)
    basis = _choice(gettext_lazy("收取方式"), FEE_BASIS_CHOICES)
    value = _number(label=gettext_lazy("费率（%）或金额（元）"), decimal_places=4)
    financed = forms.BooleanField(label=gettext_lazy("计入融资额"), required=False)

    def rule(self) -> dict:
        data = self.cleaned_data
        percent = data["basis"] == "percent"
        return {
            "fee_kind": data["fee_kind"],
            "basis": data["basis"],
            "value": _ratio(data["value"]) if percent else str(data["value"]),
            "financed": data["financed"],
        }

    @staticmethod
    def initial_of(fee: dict) -> dict:
        value = Decimal(fee["value"])
        return {**fee, "value": percent_shown(value) if fee["basis"] == "percent" else value}


class FinancedItemForm(forms.Form):
    item_kind = _choice(gettext_lazy("附加品"), ItemKind.choices)
    payee_type = _choice(gettext_lazy("收款方"), PayeeType.choices)
    cap_amount = _number(label=gettext_lazy("金额上限（元）"), decimal_places=2, required=False)
    cap_ratio = _percent(gettext_lazy("车价比例上限（%）"), required=False)

    def rule(self) -> dict:
        data = self.cleaned_data
        amount = data["cap_amount"]
        return {
            "item_kind": data["item_kind"],
            "payee_type": data["payee_type"],
            "cap_amount": None if amount is None else str(amount),
            "cap_ratio": _ratio(data["cap_ratio"]),
        }

    @staticmethod
    def initial_of(item: dict) -> dict:
        amount = item.get("cap_amount")
        return {
            **item,
            "cap_amount": None if amount is None else plain(amount),
            "cap_ratio": percent_shown(item.get("cap_ratio")),
        }


# One blank row to add a rule; a row's 删除 box removes it on save.
LtvFormSet = forms.formset_factory(LtvRuleForm, extra=1, can_delete=True)
FeeFormSet = forms.formset_factory(FeeRuleForm, extra=1, can_delete=True)
ItemFormSet = forms.formset_factory(FinancedItemForm, extra=1, can_delete=True)

# (violation field, rules_validate code) -> the row field its message is shown beside
ROW_FIELDS = {
    "ltv_out_of_range": "max_ltv",
    "ltv_above_regulatory_cap": "max_ltv",
    "down_payment_out_of_range": "min_down_payment_ratio",
    "ltv_rule_duplicate": "vehicle_use",
    "fee_rate_out_of_range": "value",
    "fee_amount_negative": "value",
    "fee_duplicate": "fee_kind",
    "per_instalment_fee_financed": "financed",
    "item_duplicate": "item_kind",
    "item_cap_amount_invalid": "cap_amount",
    "item_cap_ratio_invalid": "cap_ratio",
}
SCALAR_FIELDS = {
    "terms": "terms",
    "max_term_months": "max_term_months",
    "methods": "methods",
    "balloon_ratio_min": "balloon_ratio_min",
    "amount_min": "amount_min",
    "penalty_markup": "penalty_markup",
    "lock_in_months": "lock_in_months",
    "early_settlement_fee_rate": "early_settlement_fee_rate",
    "subsidy_customer_rate": "subsidy_customer_rate",
    "subsidy_terms": "subsidy_terms",
    "subsidy_payer": "subsidy_payer",
    "leaseback_title": "leaseback_title",
}


class ProductEditor:
    """Every form of the draft editor, bound together: ``is_valid``, then ``changes()`` gives
    the service's ``rules`` and ``rates``; ``violations_show`` puts rules_validate's findings
    back beside the field, cell or row they are about."""

    def __init__(self, data, *, rules: dict) -> None:
        self.settings = ProductRulesForm(data, rules=rules)
        terms = list(rules["terms"])
        if data is not None:
            # A term ticked now gets its empty row in the grid, to be filled in before saving.
            terms = sorted({*terms, *(int(t) for t in data.getlist("terms") if t.isdigit())})
        self.grid = ProductGridForm(data, rules=rules, terms=terms)
        self.ltv = LtvFormSet(
            data, prefix="ltv", initial=[LtvRuleForm.initial_of(r) for r in rules["ltv_rules"]]
        )
        self.fees = FeeFormSet(
            data, prefix="fees", initial=[FeeRuleForm.initial_of(f) for f in rules["fees"]]
        )
        self.items = ItemFormSet(
            data,
            prefix="items",
            initial=[FinancedItemForm.initial_of(i) for i in rules["financed_items"]],
        )
        self.kept: dict[str, list] = {}

    def is_valid(self) -> bool:
        parts = (self.settings, self.grid, self.ltv, self.fees, self.items)
        # Every part is checked (no short cut), so all the errors show at once.
        results = [part.is_valid() for part in parts]
        return all(results)

    def _rows(self, name: str, formset) -> list[dict]:
        # The forms that become rules, in order: blank extra rows and ticked 删除 drop out.
        deleted = formset.deleted_forms
        kept = [
            f for i, f in enumerate(formset.forms)
            if (i < formset.initial_form_count() or f.has_changed()) and f not in deleted
        ]  # fmt: skip
        self.kept[name] = kept
        return [f.rule() for f in kept]

    def changes(self) -> dict:
        rules = self.settings.rules_changes()
        rules["ltv_rules"] = self._rows("ltv_rules", self.ltv)
        rules["fees"] = self._rows("fees", self.fees)
        rules["financed_items"] = self._rows("financed_items", self.items)
        return {"rules": rules, "rates": self.grid.rates(terms=rules["terms"])}

    def violations_show(self, violations) -> None:
        for v in violations:
            text = v.render(_)
            row = v.params.get("row")
            kept = self.kept.get(v.field, [])
            if v.field == "rates" and self.grid.cell_error(v.params, text):
                continue
            if v.field in SCALAR_FIELDS:
                self.settings.add_error(SCALAR_FIELDS[v.field], text)
            elif row is not None and row < len(kept) and v.code in ROW_FIELDS:
                kept[row].add_error(ROW_FIELDS[v.code], text)
            else:
                self.settings.add_error(None, text)

    def error_count(self) -> int:
        forms_ = [self.settings, self.grid, *self.ltv, *self.fees, *self.items]
        return sum(len(f.errors) for f in forms_) + len(self.ltv.non_form_errors())
