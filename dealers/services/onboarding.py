"""Dealer onboarding, lifecycle transitions, licences and the bank-account maker-checker."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from autofin.audit import audit_record
from autofin.crypto import encrypt, keyed_hash, normalise
from autofin.roles import Role, user_has_role
from autofin.uploads import upload_store
from dealers.models.accounts import BankAccountChange, SettlementAccount, mask_account
from dealers.models.dealers import Dealer, DealerLicence, DealerStatus, DealerType
from dealers.rules import (
    BANK_ACCOUNT_CHECKERS,
    BANK_ACCOUNT_MAKERS,
    DEALER_BACK_OFFICE,
    TRANSITIONS,
    DealerError,
    DealerPermissionDenied,
    manages,
    require_manages,
    require_role,
)
from dealers.selectors import staff_for_user


def uscc_clean(value: str) -> str:
    """Validate a 统一社会信用代码 (GB 32100 check character); return it compact and upper-case."""
    try:
        return stdnum_uscc.validate(value or "")
    except InvalidChecksum as exc:
        raise DealerError(
            _("统一社会信用代码校验位不正确，请核对后重新输入。"),
            code="uscc_checksum",
            field="uscc",
        ) from exc
    except ValidationError as exc:
        raise DealerError(
            _("统一社会信用代码应为 18 位数字或大写字母。"), code="uscc_format", field="uscc"
        ) from exc


_BRACKETS = str.maketrans({"（": "(", "）": ")", "　": " "})


def legal_name_normalise(name: str) -> str:
    """Names are compared ignoring spaces and full-width/half-width bracket differences."""
    return re.sub(r"\s+", "", (name or "").translate(_BRACKETS)).upper()


def _dealer(dealer) -> Dealer:
    return dealer if isinstance(dealer, Dealer) else Dealer.objects.get(pk=dealer)


def dealer_onboard(
    *,
    actor,
    legal_name: str,
    uscc: str,
    dealer_type: str,
    province: str,
    city: str,
    brands: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    account_manager=None,
) -> Dealer:
    require_role(actor, DEALER_BACK_OFFICE)
    code = uscc_clean(uscc)
    if dealer_type not in DealerType.values:
        raise DealerError(_("经销商类型无效。"), code="dealer_type", field="dealer_type")
    if not legal_name.strip():
        raise DealerError(_("请填写企业名称。"), code="legal_name", field="legal_name")
    with transaction.atomic():
        if Dealer.objects.filter(uscc=code).exists():
            raise DealerError(_("该统一社会信用代码已登记。"), code="uscc_taken", field="uscc")
        dealer = Dealer.objects.create(
            legal_name=legal_name.strip(),
            uscc=code,
            dealer_type=dealer_type,
            brands=brands,
            province=province,
            city=city,
            address=address,
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            account_manager=account_manager,
            status=DealerStatus.APPLIED,
            status_changed_at=timezone.now(),
        )
        audit_record(
            actor=actor, obj=dealer, action="dealer_onboard", to_state=DealerStatus.APPLIED
        )
    return dealer


def dealer_transition(*, actor, dealer, to_status: str, reason: str) -> Dealer:
    """Move a dealer along its lifecycle per TRANSITIONS; refused moves change nothing."""
    if not (reason or "").strip():
        raise DealerError(_("请填写状态变更原因。"), code="reason_required", field="reason")
    with transaction.atomic():
        locked = Dealer.objects.select_for_update().get(pk=_dealer(dealer).pk)
        roles = TRANSITIONS.get((locked.status, to_status))
        if roles is None:
            raise DealerError(
                _("不允许从“%(from)s”变更为“%(to)s”。")
                % {
                    "from": locked.get_status_display(),
                    "to": dict(DealerStatus.choices).get(to_status, to_status),
                },
                code="illegal_transition",
            )
        require_role(actor, roles)
        require_manages(actor, locked)
        old = locked.status
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        audit_record(
            actor=actor,
            obj=locked,
            action="dealer_transition",
            from_state=old,
            to_state=to_status,
            reason=reason.strip(),
        )
    return locked


def dealer_account_manager_assign(*, actor, dealer, account_manager) -> Dealer:
    require_role(actor, {Role.SYSTEM_ADMIN})
    if account_manager is not None and not user_has_role(account_manager, Role.ACCOUNT_MANAGER):
        raise DealerError(_("该用户不是渠道客户经理。"), field="account_manager")
    with transaction.atomic():
        locked = Dealer.objects.select_for_update().get(pk=_dealer(dealer).pk)
        old = locked.account_manager_id
        locked.account_manager = account_manager
        locked.save(update_fields=["account_manager"])
        audit_record(
            actor=actor,
            obj=locked,
            action="account_manager_assign",
            from_state=str(old or ""),
            to_state=str(getattr(account_manager, "pk", "") or ""),
        )
    return locked


def dealer_licence_upload(*, actor, dealer, kind: str, file) -> DealerLicence:
    """Dealer admins upload their own licences; back-office users those of dealers they manage."""
    dealer = _dealer(dealer)
    staff = staff_for_user(actor)
    own_admin = staff is not None and staff.dealer_id == dealer.pk and staff.role == "dealer_admin"
    if not own_admin and not manages(actor, dealer):
        raise DealerPermissionDenied(_("您没有上传该经销商资质文件的权限。"))
    if kind not in DealerLicence.Kind.values:
        raise DealerError(_("资质文件类型无效。"), field="kind")
    stored = upload_store(file=file, subdir=f"dealers/{dealer.pk}")
    with transaction.atomic():
        licence = DealerLicence.objects.create(
            dealer=dealer,
            kind=kind,
            original_name=(getattr(file, "name", "") or stored.relative_path)[-200:],
            path=stored.relative_path,
            sha256=stored.sha256,
            content_type=stored.content_type,
            size=stored.size,
            uploaded_by=actor,
        )
        audit_record(
            actor=actor,
            obj=dealer,
            action="licence_upload",
            data={"licence_id": licence.pk, "sha256": stored.sha256, "kind": kind},
        )
    return licence


# --- settlement accounts: maker-checker -------------------------------------------------------


def bank_account_change_prepare(
    *,
    actor,
    dealer,
    account_name: str,
    bank_name: str,
    account_number: str,
    branch_name: str = "",
    reason: str = "",
) -> BankAccountChange:
    require_role(actor, BANK_ACCOUNT_MAKERS)
    dealer = _dealer(dealer)
    if user_has_role(actor, Role.ACCOUNT_MANAGER) and not user_has_role(
        actor, Role.SYSTEM_ADMIN, Role.FINANCE_OPERATOR
    ):
        require_manages(actor, dealer)
    if legal_name_normalise(account_name) != legal_name_normalise(dealer.legal_name):
        raise DealerError(
            _("账户户名必须与经销商企业名称一致。"), code="name_mismatch", field="account_name"
        )
    number = normalise(account_number)
    if not re.fullmatch(r"\d{8,30}", number):
        raise DealerError(
            _("银行账号应为 8 至 30 位数字。"), code="account_number", field="account_number"
        )
    if not bank_name.strip():
        raise DealerError(_("请填写开户行。"), field="bank_name")
    with transaction.atomic():
        Dealer.objects.select_for_update().get(pk=dealer.pk)
        if BankAccountChange.objects.filter(
            dealer=dealer, status=BankAccountChange.Status.PENDING
        ).exists():
            raise DealerError(_("该经销商已有一笔待复核的账户变更。"), code="pending_exists")
        change = BankAccountChange.objects.create(
            dealer=dealer,
            account_name=account_name.strip(),
            bank_name=bank_name.strip(),
            branch_name=branch_name.strip(),
            account_number_enc=encrypt(number),
            account_number_hash=keyed_hash(number),
            account_number_masked=mask_account(number),
            reason=reason,
            prepared_by=actor,
        )
        audit_record(
            actor=actor,
            obj=change,
            action="bank_account_change_prepare",
            to_state=BankAccountChange.Status.PENDING,
            reason=reason,
            data={"dealer_id": dealer.pk, "account": change.account_number_masked},
        )
    return change


def _decide_change(*, actor, change_id: int) -> BankAccountChange:
    require_role(actor, BANK_ACCOUNT_CHECKERS)
    change = BankAccountChange.objects.select_for_update().get(pk=change_id)
    if change.status != BankAccountChange.Status.PENDING:
        raise DealerError(_("该变更已处理。"), code="not_pending")
    if not user_has_role(actor, Role.SYSTEM_ADMIN, Role.FINANCE_APPROVER):
        require_manages(actor, change.dealer)  # an account manager checks their dealers only
    if change.prepared_by_id == actor.pk:
        raise DealerError(
            _("复核人不能是经办人本人：账户变更需由另一位同事复核。"), code="same_user"
        )
    return change


def bank_account_change_approve(*, actor, change_id: int, reason: str = "") -> SettlementAccount:
    """The checker approves: the new account becomes the dealer's one active, verified account."""
    with transaction.atomic():
        change = _decide_change(actor=actor, change_id=change_id)
        dealer = Dealer.objects.select_for_update().get(pk=change.dealer_id)
        now = timezone.now()
        previous = list(
            SettlementAccount.objects.select_for_update().filter(dealer=dealer, active=True)
        )
        for old in previous:
            old.active = False
            old.deactivated_at = now
            old.save(update_fields=["active", "deactivated_at"])
            audit_record(
                actor=actor,
                obj=old,
                action="settlement_account_deactivate",
                from_state="active",
                to_state="inactive",
                data={"change_id": change.pk},
            )
        account = SettlementAccount.objects.create(
            dealer=dealer,
            account_name=change.account_name,
            bank_name=change.bank_name,
            branch_name=change.branch_name,
            account_number_enc=change.account_number_enc,
            account_number_hash=change.account_number_hash,
            account_number_masked=change.account_number_masked,
            verified=True,
            active=True,
        )
        change.status = BankAccountChange.Status.APPROVED
        change.approved_by = actor
        change.decided_at = now
        change.decision_reason = reason
        change.account = account
        change.save(
            update_fields=["status", "approved_by", "decided_at", "decision_reason", "account"]
        )
        audit_record(
            actor=actor,
            obj=change,
            action="bank_account_change_approve",
            from_state=BankAccountChange.Status.PENDING,
            to_state=BankAccountChange.Status.APPROVED,
            reason=reason,
            data={"dealer_id": dealer.pk, "account_id": account.pk},
        )
        audit_record(
            actor=actor,
            obj=account,
            action="settlement_account_activate",
            to_state="active",
            data={"change_id": change.pk, "prepared_by": change.prepared_by_id},
        )
    return account


def bank_account_change_reject(*, actor, change_id: int, reason: str) -> BankAccountChange:
    if not (reason or "").strip():
        raise DealerError(_("请填写驳回原因。"), field="reason")
    with transaction.atomic():
        change = _decide_change(actor=actor, change_id=change_id)
        change.status = BankAccountChange.Status.REJECTED
        change.approved_by = actor
        change.decided_at = timezone.now()
        change.decision_reason = reason
        change.save(update_fields=["status", "approved_by", "decided_at", "decision_reason"])
        audit_record(
            actor=actor,
            obj=change,
            action="bank_account_change_reject",
            from_state=BankAccountChange.Status.PENDING,
            to_state=BankAccountChange.Status.REJECTED,
            reason=reason,
        )
    return change
