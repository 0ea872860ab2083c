"""Legacy Vietnamese text encodings in DBF attributes: TCVN3 (ABC) and VNI-Windows.

Old cadastral Shapefiles store Vietnamese with "font encodings": the bytes are read as
Latin-1 (cp1252) but mean TCVN3 or VNI letters. Values of such files arrive here as Latin-1
strings (one character per byte). :func:`decode_value` tries each candidate decoding and keeps
the one whose words look like Vietnamese syllables; when no candidate convinces, the value is
reported as undecodable rather than turned into mojibake. Text from a source known to be
Unicode is never second-guessed.

The tables below were written from the published TCVN 5712:1993 (VN3) layout and the
VNI-Windows composition rules (base letter followed by a diacritic byte).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

UNICODE = "unicode"
UTF8 = "utf-8"
TCVN3 = "tcvn3"
VNI = "vni"

# --- TCVN3 (ABC): one byte per letter; lowercase only for toned vowels ----------------
_TCVN3_ROWS: dict[str, tuple[int, ...]] = {
    # base: (grave, hook, tilde, acute, dot)
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # grave hook tilde acute dot
TCVN3_TABLE: dict[str, str] = {
    chr(0xA1): "Ă", chr(0xA2): "Â", chr(0xA3): "Ê", chr(0xA4): "Ô", chr(0xA5): "Ơ",
    chr(0xA6): "Ư", chr(0xA7): "Đ", chr(0xA8): "ă", chr(0xA9): "â", chr(0xAA): "ê",
    chr(0xAB): "ô", chr(0xAC): "ơ", chr(0xAD): "ư", chr(0xAE): "đ",
}
for _base, _codes in _TCVN3_ROWS.items():
    for _tone, _code in zip(_TONES, _codes, strict=True):
        TCVN3_TABLE[chr(_code)] = unicodedata.normalize("NFC", _base + _tone)

# --- VNI-Windows: base letter + diacritic byte(s); a few letters are single bytes --------
_VNI_MARKS_LOWER: dict[str, str] = {
    "ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323",
    "â": "\u0302", "á": "\u0302\u0301", "à": "\u0302\u0300", "å": "\u0302\u0309",
    "ã": "\u0302\u0303", "ä": "\u0302\u0323",
    "ê": "\u0306", "é": "\u0306\u0301", "è": "\u0306\u0300", "ú": "\u0306\u0309",
    "ü": "\u0306\u0303", "ë": "\u0306\u0323",
}
VNI_MARKS: dict[str, str] = {**_VNI_MARKS_LOWER,
                             **{k.upper(): v for k, v in _VNI_MARKS_LOWER.items()}}
_VNI_LETTERS_LOWER: dict[str, str] = {
    "ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị",
}
VNI_LETTERS: dict[str, str] = {
    **_VNI_LETTERS_LOWER,
    **{k.upper(): v.upper() for k, v in _VNI_LETTERS_LOWER.items()},
}
_VNI_BASES = set("aeiouyAEIOUYơưƠƯ")

# --- what a Vietnamese syllable looks like (tones stripped, lowercase) -------------------
_INITIAL = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx]"
_OPEN = "uyê|iê|yê|uô|ươ|oa|oă|oe|uâ|uê|uy|oo|[aăâeêioôơuưy]"
_CLOSED = ("iêu|yêu|oai|oay|oeo|uây|uôi|ươi|ươu|uya|uyu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|"
           "oi|ôi|ơi|ua|ưa|ui|ưi|ưu|uơ")
_SYLLABLE = re.compile(rf"^(?:{_INITIAL})?(?:(?:{_OPEN})(?:ch|ng|nh|[cmnpt])?|(?:{_CLOSED}))$")
_TONE_MARKS = set(_TONES)
_WORD = re.compile(r"[^\W\d_]+")


def encode_tcvn3(text: str) -> str:
    """Encode Unicode Vietnamese as TCVN3 (returned as a Latin-1 string); for tests/exports."""
    reverse = {v: k for k, v in TCVN3_TABLE.items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        out.append(reverse.get(ch) or reverse.get(ch.lower()) or ch)
    return "".join(out)


def encode_vni(text: str) -> str:
    """Encode Unicode Vietnamese as VNI-Windows (a Latin-1 string); for tests/exports."""
    letters = {v: k for k, v in VNI_LETTERS.items()}
    marks = {v: k for k, v in _VNI_MARKS_LOWER.items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in letters:
            out.append(letters[ch])
            continue
        nfd = unicodedata.normalize("NFD", ch)
        base, diacritics = nfd[0], nfd[1:]
        if base in "oOuU" and diacritics.startswith("\u031b"):  # horn: ơ ư are single bytes
            base = letters[unicodedata.normalize("NFC", base + "\u031b")]
            diacritics = diacritics[1:]
        if base in "iI" and diacritics:
            base = letters[unicodedata.normalize("NFC", base + diacritics)]
            diacritics = ""
        # VNI writes the vowel-shape mark (^ or breve) first, then the tone
        shape = "".join(d for d in diacritics if d in "\u0302\u0306")
        tone = "".join(d for d in diacritics if d not in "\u0302\u0306")
        mark = marks.get(shape + tone, "") if diacritics else ""
        if diacritics and not mark:
            out.append(ch)
            continue
        out.append(base + (mark.upper() if base.isupper() else mark))
    return "".join(out)


def _decode_tcvn3(raw: str) -> str | None:
    out = []
    for ch in raw:
        if ord(ch) < 0x80:
            out.append(ch)
        elif ch in TCVN3_TABLE:
            out.append(TCVN3_TABLE[ch])
        else:
            return None
    return "".join(out)


def _decode_vni(raw: str) -> str | None:
    out: list[str] = []
    for ch in raw:
        if ord(ch) < 0x80:
            out.append(ch)
        elif ch in VNI_MARKS and out and out[-1] in _VNI_BASES:
            out[-1] = unicodedata.normalize("NFC", out[-1] + VNI_MARKS[ch])
        elif ch in VNI_LETTERS:
            out.append(VNI_LETTERS[ch])
        else:
            return None
    return unicodedata.normalize("NFC", "".join(out))


def _decode_utf8(raw: str) -> str | None:
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def syllable_score(text: str) -> float:
    """Share of the words of ``text`` that are well-formed Vietnamese syllables (0..1)."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    good = 0
    for word in words:
        nfd = unicodedata.normalize("NFD", word)
        tones = sum(1 for c in nfd if c in _TONE_MARKS)
        bare = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONE_MARKS))
        mixed_case = any(c.isupper() for c in word[1:]) and not word.isupper()
        if tones <= 1 and not mixed_case and _SYLLABLE.match(bare.lower()):
            good += 1
    return good / len(words)


@dataclass(frozen=True)
class Decoded:
    """A decoded value: the text, the encoding it was in, and whether that is certain."""

    text: str
    encoding: str
    certain: bool


def decode_value(raw: str, *, from_bytes: bool) -> Decoded:
    """Decode one attribute value.

    ``from_bytes=False``: the value comes from a source known to be Unicode (GeoPackage,
    GeoJSON, FlatGeobuf, a Shapefile whose .cpg names its code page): it is taken as is, even
    when all its letters happen to lie in Latin-1 ('UBND xã Khánh Khê').

    ``from_bytes=True``: the value is raw bytes of an unknown or legacy code page (a DBF
    without a .cpg or with a Latin-1 one, a CSV that is not UTF-8, 8-bit drawing text), one
    character per byte. Valid UTF-8 is taken as UTF-8; otherwise TCVN3, VNI and plain Latin-1
    compete on how Vietnamese the words look, and a value none of them wins clearly is
    reported as uncertain.
    """
    if not from_bytes or raw.isascii():
        return Decoded(raw, UNICODE, True)
    if any(ord(c) > 0xFF for c in raw):
        return Decoded(raw, UNICODE, True)  # already Unicode text, not one char per byte
    if (utf8 := _decode_utf8(raw)) is not None:
        return Decoded(utf8, UTF8, True)
    candidates: dict[str, str] = {}
    for name, decoder in ((TCVN3, _decode_tcvn3), (VNI, _decode_vni)):
        text = decoder(raw)
        if text is not None:
            candidates[name] = text
    candidates[UNICODE] = raw  # plain Latin-1 (a French or Tày name, say)
    scored = sorted(((syllable_score(t), name) for name, t in candidates.items()), reverse=True)
    (best, name), runner_up = scored[0], (scored[1][0] if len(scored) > 1 else 0.0)
    certain = best >= 0.6 and best - runner_up >= 0.15
    return Decoded(candidates[name], name, certain)
