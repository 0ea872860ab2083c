"""Legacy Vietnamese encodings: TCVN3 and VNI-Windows decode; unknown text is reported."""

from __future__ import annotations

import pytest

from gis.ingest.encoding import (
    TCVN3,
    UNICODE,
    UTF8,
    VNI,
    Decoded,
    decode_value,
    encode_tcvn3,
    encode_vni,
    syllable_score,
)

WORDS = ["Lạng Sơn", "Nguyễn Thị Hoa", "Hoàng Văn Việt", "Đồng Đăng", "Phường Tam Thanh",
         "Lường Văn Đức", "Thôn Bản Đông", "Xã Cao Lộc", "Trần Đức Thắng"]


def test_known_byte_sequences() -> None:
    assert encode_tcvn3("Lạng Sơn") == "L\xb9ng S\xacn"
    assert encode_tcvn3("Nguyễn") == "Nguy\xd4n"
    assert encode_vni("Lạng Sơn") == "La\xefng S\xf4n"
    assert encode_vni("Thị") == "Th\xf2"


@pytest.mark.parametrize("word", WORDS)
def test_tcvn3_and_vni_decode_back(word: str) -> None:
    tcvn = decode_value(encode_tcvn3(word), from_bytes=True)
    vni = decode_value(encode_vni(word), from_bytes=True)
    # TCVN3 has no upper-case toned vowels; those words come back in their lower-case form
    assert (tcvn.encoding, tcvn.certain) == (TCVN3, True)
    assert tcvn.text.lower() == word.lower()
    assert (vni.text, vni.encoding, vni.certain) == (word, VNI, True)


def test_unicode_and_utf8_pass_through() -> None:
    assert decode_value("Hoàng Văn Việt", from_bytes=False).encoding == UNICODE
    raw = "Hoàng Văn Việt".encode().decode("latin-1")
    assert decode_value(raw, from_bytes=True).text == "Hoàng Văn Việt"
    assert decode_value(raw, from_bytes=True).encoding == UTF8


def test_gibberish_is_not_certain() -> None:
    d = decode_value("\xc3\xa6\xd8\xb1\xb2\xb3", from_bytes=True)
    assert not d.certain


def test_syllable_score() -> None:
    assert syllable_score("Nguyễn Thị Hoa") == 1.0
    assert syllable_score("Nguyơn") == 0.0


LATIN1_ONLY = ["UBND xã Khánh Khê", "Hoàng Thái Hà", "Thôn Nà Mò", "Lã Thanh Tùng",
               "Hà Bá Lâm", "Tô Thúy"]


@pytest.mark.parametrize("name", LATIN1_ONLY)
def test_unicode_source_text_is_taken_as_is(name: str) -> None:
    assert all(ord(c) <= 0xFF for c in name)  # the case the legacy decoders could claim
    assert decode_value(name, from_bytes=False) == Decoded(name, UNICODE, True)


@pytest.mark.parametrize("name", LATIN1_ONLY)
def test_utf8_bytes_of_latin1_only_names_are_utf8(name: str) -> None:
    d = decode_value(name.encode().decode("latin-1"), from_bytes=True)
    assert (d.text, d.encoding, d.certain) == (name, UTF8, True)


def test_legacy_bytes_still_compete_and_report_doubt() -> None:
    # the same Latin-1 string is TCVN3 for 'xó Khỏnh Khơ' as much as plain Latin-1: from raw
    # DBF bytes of unknown code page that is a doubt to report, not a guess to store
    d = decode_value("UBND x\xe3 Kh\xe1nh Kh\xea", from_bytes=True)
    assert not d.certain
    assert decode_value(encode_tcvn3("Xã Khánh Khê"), from_bytes=True).encoding == TCVN3
