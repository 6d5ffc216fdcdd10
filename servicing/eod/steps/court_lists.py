"""Step 4.9 — court lists (法院名单): load the court feed's files from the drop folder, then
match the whole book against the court lists by ID hash.

A file in settings.COURT_LIST_DROP_DIR named court_enforcement*.csv (被执行人) or
dishonest_debtor*.csv (失信被执行人), in the format of risk.services.court_lists, is loaded into
risk's watch-list store unless the same file was loaded before. Then every open loan whose
borrower, co-borrower or guarantor is on an active court list and was not yet warned about that
entry gets the strong early-warning signal and a screening hit in the compliance queue
(servicing.services.aml.court_lists). A re-run adds nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from risk.models import WatchListType
from risk.services.court_lists import court_list_load
from servicing.eod.registry import StepContext, register
from servicing.services.aml.court_lists import court_lists_match

PATTERNS = {
    WatchListType.COURT_ENFORCEMENT: "court_enforcement*.csv",
    WatchListType.DISHONEST_DEBTOR: "dishonest_debtor*.csv",
}


@register(code="court_lists", label=_("法院名单导入与比对"), position=49, chunked=False)
def court_lists_step(ctx: StepContext, lo: int, hi: int) -> dict:  # noqa: ARG001 - one chunk
    folder = Path(settings.COURT_LIST_DROP_DIR) if settings.COURT_LIST_DROP_DIR else None
    loaded = 0
    if folder and folder.is_dir():
        for list_type, pattern in PATTERNS.items():
            for path in sorted(folder.glob(pattern)):
                load = court_list_load(
                    path=path, list_type=list_type, actor=ctx.actor, skip_known=True
                )
                loaded += load is not None
    return {"files": loaded, **court_lists_match(business_date=ctx.business_date, actor=ctx.actor)}
