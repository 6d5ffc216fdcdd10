"""Scoring one record with an artefact: compiled once into lookup tables, then a few dict and
bisect look-ups per variable (microseconds, no pandas)."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from risk.scorecard.binning import OTHER


@dataclass(frozen=True)
class _Variable:
    name: str
    numeric: bool
    edges: tuple[float, ...]
    categories: dict[str, int]
    other: int
    missing: int
    points: tuple[float, ...]


@dataclass(frozen=True)
class ScoredRecord:
    score: int
    bins: dict[str, int]  # variable name -> bin index
    points: dict[str, float]


def _is_missing(value: Any) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, float) and math.isnan(value)


class CompiledScorecard:
    def __init__(self, artefact: dict):
        self.artefact = artefact
        variables = []
        for v in artefact["variables"]:
            bins = v["bins"]
            categories: dict[str, int] = {}
            other = 0
            for i, b in enumerate(bins):
                for c in b.get("categories", []):
                    categories[c] = i
                    if c == OTHER:
                        other = i
            variables.append(
                _Variable(
                    name=v["name"],
                    numeric=v["type"] == "numeric",
                    edges=tuple(v.get("edges", [])),
                    categories=categories,
                    other=other,
                    missing=len(bins) - 1,
                    points=tuple(float(b["points"]) for b in bins),
                )
            )
        self.variables = tuple(variables)

    def bin_of(self, var: _Variable, value: Any) -> int:
        if _is_missing(value):
            return var.missing
        if var.numeric:
            try:
                x = float(value) if not isinstance(value, Decimal) else float(value)
            except (TypeError, ValueError):
                return var.missing
            if math.isnan(x):
                return var.missing
            return bisect_right(var.edges, x)
        return var.categories.get(str(value), var.other)

    def score(self, record: dict) -> ScoredRecord:
        total = 0.0
        bins: dict[str, int] = {}
        points: dict[str, float] = {}
        for var in self.variables:
            i = self.bin_of(var, record.get(var.name))
            bins[var.name] = i
            p = var.points[i]
            points[var.name] = p
            total += p
        return ScoredRecord(score=int(math.floor(total + 0.5)), bins=bins, points=points)


def compile_artefact(artefact: dict) -> CompiledScorecard:
    return CompiledScorecard(artefact)


def score_record(artefact: dict, record: dict) -> ScoredRecord:
    return CompiledScorecard(artefact).score(record)
