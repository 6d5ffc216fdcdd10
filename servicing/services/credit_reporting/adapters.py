"""The credit reference center behind an adapter (``SERVICING_CREDIT_REPORTING_ADAPTER``): with
AUTOFIN_SANDBOX=1 the in-process sandbox center below, otherwise ``HttpCreditReporting``
(signed JSON over HTTP, docs/integrations.md, rail ``credit_reporting``). The record layout
each call carries is docs/credit-reporting.md.

The sandbox center validates every record as the center would and answers accepted, or
rejected with a reason code:

======  ===========================================================================
code    rejected when
======  ===========================================================================
E101    the borrower's ID number is not 18 characters with a valid check character
E102    the borrower's name is empty
E201    the ID number is the sandbox's unknown identity ``SANDBOX_ID_UNKNOWN``
        (110101199001019984): the public security register does not know it
E301    an amount is not a non-negative decimal with two places, or currency not CNY
E302    a date is not ISO, or the account opens after the report date
E401    the status is outside the alphabet, the 24-month string is not 24 characters
        or does not end with the month's status, or the status does not match the
        overdue periods (N and C with none, 1-7 with that many, 7 meaning 7 or more)
E402    the 24-month string does not continue the previous month's accepted record of
        the account (its last 23 characters must be this string's first 23) or the
        overdue periods grew by more than one in a month
======  ===========================================================================

The sandbox reads the previous month's accepted record from our own table: the records the
center accepted are exactly those (it is an in-process stand-in, never production).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from autofin.crypto import decrypt
from autofin.integrations.http import IntegrationError, SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly
from origination.validators import validate_id_number
from servicing.selectors.credit_reporting import previous_accepted_strings

SANDBOX_ID_UNKNOWN = "110101199001019984"
STATUS_CHARS = frozenset("N1234567CB*/")
_AMOUNT = re.compile(r"^\d+\.\d{2}$")


class CreditReportingError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class CreditReporting(Protocol):
    def submit(self, *, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One answer per record: {"record_id", "result": "accepted" | "rejected", "code",
        "message"}; records are dicts in the layout of docs/credit-reporting.md."""
        ...


def _problem(rec: dict[str, Any], previous: str | None) -> tuple[str, str] | None:
    borrower, account, perf = rec["borrower"], rec["account"], rec["performance"]
    try:
        id_number = validate_id_number(decrypt(borrower["id_number_encrypted"]))
    except (ValidationError, ValueError):
        return "E101", "证件号码校验位错误或格式不符。"
    if not borrower["name"].strip():
        return "E102", "借款人姓名为空。"
    if id_number == SANDBOX_ID_UNKNOWN:
        return "E201", "证件号码与姓名经公民身份信息核查不一致。"
    amounts = [account["amount"], *(perf[k] for k in _PERF_AMOUNTS)]
    if account["currency"] != "CNY" or not all(_AMOUNT.match(str(a)) for a in amounts):
        return "E301", "金额或币种格式不符。"
    try:
        opened = dt.date.fromisoformat(account["open_date"])
        reported = dt.date.fromisoformat(rec["report_date"])
        dt.date.fromisoformat(account["due_date"])
    except ValueError:
        return "E302", "日期格式不符。"
    if opened > reported:
        return "E302", "开户日期晚于数据报告日。"
    status, string, periods = perf["status"], perf["status_24m"], perf["overdue_periods"]
    expected = "N*" if periods == 0 else str(min(periods, 7))
    if (
        status not in STATUS_CHARS
        or len(string) != 24
        or not set(string) <= STATUS_CHARS
        or string[-1] != status
        or (status not in "CB" and status not in expected)
    ):
        return "E401", "还款状态与逾期期数或 24 个月还款状态不一致。"
    if previous is not None:
        grew = (
            status.isdigit()
            and int(status) > (int(previous[-1]) if previous[-1].isdigit() else 0) + 1
        )
        if previous[1:] != string[:-1] or grew:
            return "E402", "24 个月还款状态与上月已接收记录不衔接。"
    return None


_PERF_AMOUNTS = ("balance", "amount_due", "amount_paid", "overdue_amount")


class SandboxCreditCenter(SandboxOnly):
    """Validates each record (the table above) and answers at once."""

    def submit(self, *, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # the center's own state is what it accepted: our accepted monthly records
        previous = previous_accepted_strings(records)
        answers = []
        for rec in records:
            problem = _problem(rec, previous.get(rec["record_id"]))
            code, message = problem or ("", "")
            answers.append(
                {
                    "record_id": rec["record_id"],
                    "result": "rejected" if problem else "accepted",
                    "code": code,
                    "message": message,
                }
            )
        return answers


class HttpCreditReporting:
    """POST /credit-reports {"records": [...]} -> {"results": [...]} (one per record)."""

    integration_rail = "credit_reporting"

    def __init__(self) -> None:
        self.client = SignedJsonClient(self.integration_rail)

    def submit(self, *, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # one key per set of record ids: a retried file is filed once by the center
        ids = ",".join(sorted(str(r["record_id"]) for r in records))
        key = "credit-report:" + hashlib.sha256(ids.encode()).hexdigest()
        try:
            data = self.client.post("/credit-reports", {"records": records}, idempotency_key=key)
        except IntegrationError as exc:
            raise CreditReportingError(str(exc), retryable=exc.retryable) from exc
        results = data.get("results")
        sent = {str(r["record_id"]) for r in records}
        if not isinstance(results, list) or {str(a.get("record_id")) for a in results} != sent:
            raise CreditReportingError(f"center answered {json.dumps(data)[:200]}", retryable=False)
        if any(a.get("result") not in ("accepted", "rejected") for a in results):
            raise CreditReportingError("center answered an unknown result", retryable=False)
        return results


def credit_reporting_adapter() -> CreditReporting:
    return import_string(settings.SERVICING_CREDIT_REPORTING_ADAPTER)()
