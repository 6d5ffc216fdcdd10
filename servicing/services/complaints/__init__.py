"""Complaints and customer care (投诉与客户关怀), issue 21 §2.

Complaint handling follows 《银行保险机构消费者权益保护管理办法》 and 《银行业保险业消费投诉处理
管理办法》(银保监会令2020年第3号): a complaint is resolved within 15 days of receipt, a complex
case may be extended to 30 days, and at most to 60 days only with a senior's approval and notice
to the customer. House policy adds acknowledgement within one working day. The figures are
settings (COMPLAINT_SLA).

- sla: the deadlines; workflow: intake and every action (each writes a ComplaintEvent);
- pause: the one predicate for "collection contact on this loan is paused";
- batch: the nightly escalation and auto-close (set-based); surveys, report, care: the rest.
"""

from __future__ import annotations


class ComplaintError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
