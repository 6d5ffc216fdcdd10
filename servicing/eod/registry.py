"""The registry of nightly steps: code, label, order, the chunk function, optional prepare and
finalize hooks (each idempotent; prepare runs once before the chunks are planned, in the same
transaction; finalize once after every chunk succeeded, in the step's closing transaction), and
for a step with work on some dates only (the month-end ones) `runs_on`, the date rule its chunk
function itself applies: on other dates the step is planned as one empty chunk instead of a
chunk per loan range, as each costs a claim, a transaction and a commit for nothing."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

ACTOR = "eod"


@dataclass(frozen=True)
class StepContext:
    business_date: dt.date
    batch_id: int
    step_id: int
    chunk_id: int | None = None
    actor: str = ACTOR

    @property
    def next_date(self) -> dt.date:
        """The date postings made during the batch carry, and the loans' status date."""
        return self.business_date + dt.timedelta(days=1)


ChunkFn = Callable[[StepContext, int, int], dict | None]
HookFn = Callable[[StepContext], dict | None]
DateRule = Callable[[dt.date], bool]


@dataclass(frozen=True)
class Step:
    code: str
    label: Any
    position: int
    run_chunk: ChunkFn
    chunked: bool = True
    prepare: HookFn | None = None
    finalize: HookFn | None = None
    runs_on: DateRule | None = None
    doc: str = field(default="", repr=False)

    def chunked_on(self, business_date: dt.date) -> bool:
        """Whether the step is planned as one chunk per loan range on this date."""
        return self.chunked and (self.runs_on is None or self.runs_on(business_date))


STEPS: dict[str, Step] = {}
_loaded = False


def register(
    *,
    code: str,
    label: Any,
    position: int,
    chunked: bool = True,
    prepare: HookFn | None = None,
    finalize: HookFn | None = None,
    runs_on: DateRule | None = None,
) -> Callable[[ChunkFn], ChunkFn]:
    def decorate(fn: ChunkFn) -> ChunkFn:
        module = inspect.getmodule(fn)
        # two steps at one position would run in an order nobody chose (the sort keeps import
        # order): refuse it when the steps are loaded, not in the night
        taken = [s.code for s in STEPS.values() if s.position == position and s.code != code]
        if taken:
            raise ImproperlyConfigured(f"step {code}: position {position} is {taken[0]}'s")
        STEPS[code] = Step(
            code=code,
            label=label,
            position=position,
            run_chunk=fn,
            chunked=chunked,
            prepare=prepare,
            finalize=finalize,
            runs_on=runs_on,
            doc=inspect.getdoc(module) or inspect.getdoc(fn) or "",
        )
        return fn

    return decorate


def steps_ordered() -> list[Step]:
    steps_load()
    return sorted(STEPS.values(), key=lambda s: s.position)


def step_get(code: str) -> Step:
    steps_load()
    return STEPS[code]


def steps_load() -> None:
    global _loaded
    if not _loaded:
        importlib.import_module("servicing.eod.steps")
        _loaded = True
