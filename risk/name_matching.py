"""Fuzzy matching of personal names across Chinese characters and pinyin (plain Python).

A name is reduced to match keys: its characters ("h:张三"), and its pinyin as lower-case
syllables ("zhang san"; every reading of a polyphonic character, 单 = dan / shan / chan). A
list written in Latin letters ("ZHANG Shan", "Zhang-San") gives pinyin keys directly. Two
names are scored by their best pair of keys, and each score says why: the same characters,
the same pinyin, a common spelling variant (flat/retroflex z-zh, c-ch, s-sh; front/back nasal
n-ng; n-l), or the rapidfuzz similarity of the pinyin in either word order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from pypinyin import Style, pinyin
from rapidfuzz import fuzz

HANZI = re.compile(r"[\u4e00-\u9fff]")
# At most this many pinyin readings per name: a name of several polyphonic characters would
# otherwise multiply out (each reading is a key to compare).
MAX_READINGS = 8

# Score of a pinyin match that differs only by a common spelling variant.
VARIANT_SCORE = 95
# Evidence beside the name: the same ID (a keyed hash) is the same person; a different ID or
# birth date makes the same name less likely to be them.
DOB_SAME_BOOST = 10
DOB_DIFFERENT_PENALTY = 20
ID_DIFFERENT_PENALTY = 20


def _latin_tokens(text: str) -> list[str]:
    text = text.lower().replace("ü", "v").replace("u:", "v")
    return [t for t in re.split(r"[^a-z]+", text) if t]


def name_keys(name: str, variants: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The match keys of a name and its listed variants, deduplicated, in a stable order."""
    keys: list[str] = []
    for text in [name, *variants]:
        text = (text or "").strip()
        if not text:
            continue
        hanzi = "".join(HANZI.findall(text))
        if hanzi:
            keys.append(f"h:{hanzi}")
            readings = pinyin(hanzi, style=Style.NORMAL, heteronym=True)
            for combo in itertools.islice(itertools.product(*readings), MAX_READINGS):
                keys.append(" ".join(combo))
        else:
            tokens = _latin_tokens(text)
            if tokens:
                keys.append(" ".join(tokens))
    return list(dict.fromkeys(keys))


def fold(syllable: str) -> str:
    """A pinyin syllable with the common spelling and dialect variants folded together."""
    s = syllable.replace("zh", "z").replace("ch", "c").replace("sh", "s")
    if s.endswith("ng"):
        s = s[:-1]
    if s.startswith("n"):
        s = "l" + s[1:]
    return s


def canonical(keys: list[str]) -> list[str]:
    """The name's pinyin folded and run together, as written and with its syllables sorted
    (either word order): the strings a fast first pass compares before the full score."""
    out = set()
    for k in keys:
        if k.startswith("h:"):
            continue
        folded = [fold(t) for t in k.split()]
        out.add("".join(folded))
        out.add("".join(sorted(folded)))
    return sorted(out)


@dataclass
class NameScore:
    score: int
    reason: str  # "same_hanzi", "same_pinyin", "pinyin_variant", "pinyin_similar", "hanzi_similar"
    subject_key: str = ""
    entry_key: str = ""


def _pair_score(a: str, b: str) -> NameScore:
    if a.startswith("h:") != b.startswith("h:"):
        return NameScore(0, "")
    if a.startswith("h:"):
        if a == b:
            return NameScore(100, "same_hanzi", a[2:], b[2:])
        return NameScore(int(fuzz.ratio(a[2:], b[2:])), "hanzi_similar", a[2:], b[2:])
    if a.replace(" ", "") == b.replace(" ", "") or sorted(a.split()) == sorted(b.split()):
        return NameScore(100, "same_pinyin", a, b)
    fa, fb = [fold(t) for t in a.split()], [fold(t) for t in b.split()]
    # in either word order, or with the syllables run together ("zhishan" = "zhi shan")
    if sorted(fa) == sorted(fb) or "".join(fa) == "".join(fb):
        return NameScore(VARIANT_SCORE, "pinyin_variant", a, b)
    similar = max(fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")), fuzz.token_sort_ratio(a, b))
    return NameScore(int(similar), "pinyin_similar", a, b)


def name_score(subject_keys: list[str], entry_keys: list[str]) -> NameScore:
    """The best score over every pair of keys (0 when they share no script at all)."""
    best = NameScore(0, "")
    for a in subject_keys:
        for b in entry_keys:
            s = _pair_score(a, b)
            if s.score > best.score:
                best = s
    return best


@dataclass
class MatchResult:
    score: int
    parts: list[dict] = field(default_factory=list)  # what matched, each with its effect


def match(
    *,
    subject_keys: list[str],
    subject_id_hash: str,
    subject_birth: dt.date | None,
    entry_keys: list[str],
    entry_id_hash: str,
    entry_birth: dt.date | None,
) -> MatchResult:
    """Score one subject against one list entry, 0-100, with the parts that made the score."""
    if subject_id_hash and entry_id_hash and subject_id_hash == entry_id_hash:
        return MatchResult(100, [{"part": "id", "reason": "same_id", "effect": 100}])
    named = name_score(subject_keys, entry_keys)
    parts = [
        {
            "part": "name",
            "reason": named.reason,
            "effect": named.score,
            "subject": named.subject_key,
            "entry": named.entry_key,
        }
    ]
    score = named.score
    if subject_id_hash and entry_id_hash:
        score -= ID_DIFFERENT_PENALTY
        parts.append({"part": "id", "reason": "different_id", "effect": -ID_DIFFERENT_PENALTY})
    if subject_birth and entry_birth:
        if subject_birth == entry_birth:
            score += DOB_SAME_BOOST
            parts.append({"part": "dob", "reason": "same_dob", "effect": DOB_SAME_BOOST})
        else:
            score -= DOB_DIFFERENT_PENALTY
            parts.append(
                {"part": "dob", "reason": "different_dob", "effect": -DOB_DIFFERENT_PENALTY}
            )
    return MatchResult(max(0, min(100, score)), parts)
