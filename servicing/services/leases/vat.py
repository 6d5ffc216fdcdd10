"""The VAT inside a rent (财税〔2016〕36号), one rule for the batch, the pages and the reports.

- 直租 (有形动产融资租赁服务): the whole rent is taxable and tax-inclusive. tax = rent × r / (1 + r),
  rounded half-up per invoice. The rent's principal carries the VAT the lessor deducted as input
  on buying the car; that part (待转销项税额 until the rent falls due) is principal × r / (1 + r)
  per rent, the last rent taking what is left, so the deferred account ends at exactly zero; the
  rest of the tax comes out of the rent's interest.
- 售后回租 (贷款服务): only the interest (and fee) part is taxable; the principal is outside VAT.
- A loan is outside this module (no VAT on its rows here).
Penalty interest, late fees and 违约金 are 价外费用 at the rate of the contract's service.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from autofin.money import ZERO, quantize_fen
from servicing.models.invoices import VatKind

LEASE_VAT_KIND = {
    "direct_lease": VatKind.TANGIBLE_LEASE,
    "sale_leaseback": VatKind.LOAN_SERVICE,
}


def is_lease(loan) -> bool:
    """Whether a loan row is a lease (直租 or 售后回租)."""
    return loan.contract_type in LEASE_VAT_KIND


@dataclass(frozen=True, slots=True)
class RentVat:
    taxable: Decimal  # the tax-inclusive amount invoiced
    tax: Decimal
    principal_tax: Decimal  # out of 待转销项税额 (直租 only)
    interest_tax: Decimal  # out of the interest (and fee) income

    @property
    def net(self) -> Decimal:
        return self.taxable - self.tax


def tax_inclusive_part(amount: Decimal, rate: Decimal) -> Decimal:
    """The tax inside a tax-inclusive amount, half-up to the fen."""
    return quantize_fen(amount * rate / (1 + rate), ROUND_HALF_UP)


def rent_vat(
    *, contract_type: str, principal: Decimal, interest: Decimal, fee: Decimal, rate: Decimal,
    deferred_left: Decimal | None = None, last: bool = False,
) -> RentVat:  # fmt: skip
    """The VAT of one rent. `deferred_left` (直租): the 待转销项税额 not yet moved out, which the
    last rent takes whole (and no rent takes more of)."""
    if contract_type == "direct_lease":
        taxable = principal + interest + fee
        tax = tax_inclusive_part(taxable, rate)
        principal_tax = tax_inclusive_part(principal, rate)
        if deferred_left is not None:
            principal_tax = deferred_left if last else min(principal_tax, deferred_left)
        return RentVat(taxable, tax, principal_tax, tax - principal_tax)
    if contract_type == "sale_leaseback":
        taxable = interest + fee
        tax = tax_inclusive_part(taxable, rate)
        return RentVat(taxable, tax, ZERO, tax)
    return RentVat(ZERO, ZERO, ZERO, ZERO)


def charge_vat(*, contract_type: str, amount: Decimal, rate: Decimal) -> RentVat:
    """A 价外费用 (penalty interest, late fee, 违约金, 留购价 for 直租) is taxed whole."""
    if contract_type not in LEASE_VAT_KIND:
        return RentVat(ZERO, ZERO, ZERO, ZERO)
    tax = tax_inclusive_part(amount, rate)
    return RentVat(amount, tax, ZERO, tax)
