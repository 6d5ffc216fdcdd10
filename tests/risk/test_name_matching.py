"""Fuzzy matching of Chinese and pinyin names (risk.name_matching): the score of a pair and the
reason it gives, across characters, pinyin spellings, word order and the ID and birth date."""

from __future__ import annotations

import datetime as dt

import pytest

from risk.name_matching import match, name_keys, name_score


def _score(a: str, b: str):
    return name_score(name_keys(a), name_keys(b))


@pytest.mark.parametrize(
    ("subject", "listed", "score", "reason"),
    [
        ("张三", "张三", 100, "same_hanzi"),
        ("张三", "Zhang San", 100, "same_pinyin"),
        ("张三", "ZHANG-san", 100, "same_pinyin"),
        ("张三", "San Zhang", 100, "same_pinyin"),  # the given name first, as Latin lists do
        ("张三", "zhang shan", 95, "pinyin_variant"),  # s / sh
        ("陈静", "Cen Jin", 95, "pinyin_variant"),  # ch / c and ing / in
        ("欧阳子珊", "OUYANG Zhishan", 95, "pinyin_variant"),  # syllables run together
        ("单田芳", "Shan Tianfang", 100, "same_pinyin"),  # 单 read as a surname (shan)
    ],
)
def test_spelling_variants_of_one_name_score_high_with_their_reason(subject, listed, score, reason):
    got = _score(subject, listed)
    assert (got.score, got.reason) == (score, reason)


def test_different_names_score_low():
    assert _score("李四", "Zhang San").score < 50
    assert _score("王小明", "OUYANG Zhishan").score < 50


def test_same_id_hash_is_the_same_person_whatever_the_name():
    result = match(
        subject_keys=name_keys("李四"),
        subject_id_hash="abc",
        subject_birth=None,
        entry_keys=name_keys("张三"),
        entry_id_hash="abc",
        entry_birth=None,
    )
    assert result.score == 100
    assert result.parts == [{"part": "id", "reason": "same_id", "effect": 100}]


def test_birth_date_boosts_or_lowers_a_name_match_and_says_so():
    common = {"subject_keys": name_keys("张三"), "subject_id_hash": "", "entry_id_hash": ""}
    born = dt.date(1975, 3, 8)
    same = match(**common, subject_birth=born, entry_keys=name_keys("zhang shan"), entry_birth=born)
    other = match(
        **common,
        subject_birth=born,
        entry_keys=name_keys("zhang shan"),
        entry_birth=dt.date(1980, 1, 1),
    )
    assert same.score == 100  # 95 + 10, capped
    assert [p["reason"] for p in same.parts] == ["pinyin_variant", "same_dob"]
    assert other.score == 75  # 95 - 20
    assert [p["reason"] for p in other.parts] == ["pinyin_variant", "different_dob"]


def test_a_different_id_number_lowers_the_name_match():
    result = match(
        subject_keys=name_keys("张三"),
        subject_id_hash="abc",
        subject_birth=None,
        entry_keys=name_keys("张三"),
        entry_id_hash="xyz",
        entry_birth=None,
    )
    assert result.score == 80
    assert [p["reason"] for p in result.parts] == ["same_hanzi", "different_id"]
