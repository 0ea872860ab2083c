"""Vietnamese alphabetical order, without ICU: a, ă, â, b, c, d, đ, e, ê, g, … o, ô, ơ, … u,
ư, v, x, y (so "Đồng Đăng" comes right after the D names, not after T as in code-point order).

Letters compare first with their tone marks removed; among words with the same letters the
tones decide, in the dictionary order ngang, huyền, hỏi, ngã, sắc, nặng; then lower case
before upper case. Spaces sort before any letter ("Na Sầm" before "Nam Quan"), digits before
letters. Non-Vietnamese Latin letters (f, j, w, z) take their place in the Latin alphabet.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
"""Vietnamese letters in order, with f, j, w, z where Latin puts them."""

_RANK = {ch: n for n, ch in enumerate(ALPHABET, start=20)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
"""Tone marks in dictionary order: huyền, hỏi, ngã, sắc, nặng (ngang = 0)."""
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HORN = {"o": "ơ", "u": "ư"}

Key = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def _letter(base: str, marks: str) -> str:
    for mark in marks:
        if mark == "\u0306" and base == "a":
            return "ă"
        if mark == "\u0302" and base in _CIRCUMFLEX:
            return _CIRCUMFLEX[base]
        if mark == "\u031b" and base in _HORN:
            return _HORN[base]
    return base


def vi_key(text: str | None) -> Key:
    """A sort key putting Vietnamese text in dictionary order."""
    primary: list[int] = []
    tones: list[int] = []
    cases: list[int] = []
    for cluster in _clusters(unicodedata.normalize("NFD", text or "")):
        base, marks = cluster[0], cluster[1:]
        lower = base.lower()
        letter = "đ" if lower == "đ" else _letter(lower, marks)
        if letter in _RANK:
            primary.append(_RANK[letter])
        elif letter.isdigit():
            primary.append(2 + int(letter) if letter in "0123456789" else 12)
        elif letter.isspace():
            primary.append(1)
        elif not letter.isalnum():
            continue  # punctuation does not change the order ("Km12+350")
        else:
            primary.append(100 + ord(letter))
        tones.append(next((_TONES[m] for m in marks if m in _TONES), 0))
        cases.append(0 if base == lower else 1)
    return tuple(primary), tuple(tones), tuple(cases)


def _clusters(decomposed: str) -> Iterable[str]:
    """Base characters with the combining marks that follow them."""
    current = ""
    for ch in decomposed:
        if current and unicodedata.combining(ch):
            current += ch
            continue
        if current:
            yield current
        current = ch
    if current:
        yield current


def vi_sorted(items: Iterable[T], key: Callable[[T], str | None]) -> list[T]:
    """``items`` in Vietnamese alphabetical order of ``key(item)``."""
    return sorted(items, key=lambda item: vi_key(key(item)))


def vi_name_key(name: str | None) -> Key:
    """A commune's sort key without its kind ("xã Đồng Đăng" sorts as "Đồng Đăng")."""
    text = (name or "").strip()
    for prefix in ("thị trấn ", "phường ", "xã "):
        if text.lower().startswith(prefix):
            return vi_key(text[len(prefix):])
    return vi_key(text)
