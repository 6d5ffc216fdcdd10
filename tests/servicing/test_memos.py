"""Journal memos are kept in Chinese whatever the poster's language, and shown in the page's
language by the template they were written from (servicing.memos)."""

from __future__ import annotations

from django.utils.translation import override

from servicing.memos import memo, memo_display
from servicing.models.repayments import RepaymentPurpose, RepaymentSource


def test_a_memo_posted_from_an_english_page_is_stored_in_chinese():
    with override("en"):
        text = memo(
            "repayment",
            source=RepaymentSource.AUTO_DEBIT.label,
            purpose=RepaymentPurpose.INSTALMENT.label,
        )
    assert text == "还款：代扣 期供还款"


def test_stored_memos_read_in_the_page_language_and_other_text_as_stored():
    stored = memo("disbursement", ref="AF-2026-000004")
    assert stored == "放款 AF-2026-000004"
    with override("en"):
        assert memo_display(stored) == "Disbursement AF-2026-000004"
        # the parameters that are labels are translated too
        repayment = memo_display("还款：代扣 期供还款")
        assert "Auto-debit" in repayment and "代扣" not in repayment
        assert memo_display("客户来电说明情况") == "客户来电说明情况"  # not a memo template
    with override("zh-hans"):
        assert memo_display(stored) == stored
