"""Vietnamese alphabetical order: Đ right after D, ă/â after a, tones after the letters —
for the key itself, the Excel progress report and the lists of communes in pages."""

from __future__ import annotations

import datetime as dt
import unicodedata
from io import BytesIO

import openpyxl
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE
from gis.cases.queries import list_choices
from gis.core.collation import ALPHABET, vi_key, vi_name_key, vi_sorted
from gis.reports import Period, write_excel
from gis.reports.excel import HEADER_ROW

CODE_POINT_ORDER = ["Diễm Dương", "Tân Thanh", "Đồng Đăng"]  # what Excel did: Đ after T


def test_d_then_dd_then_t() -> None:
    assert sorted(CODE_POINT_ORDER) == CODE_POINT_ORDER
    assert vi_sorted(CODE_POINT_ORDER, str) == ["Diễm Dương", "Đồng Đăng", "Tân Thanh"]
    assert sorted(["xã Tân Thanh", "phường Đông Kinh", "xã Đồng Đăng", "xã Diễm Dương",
                   "xã Điềm He", "xã Dương Bình"], key=vi_name_key) == [
        "xã Diễm Dương", "xã Dương Bình", "xã Điềm He", "xã Đồng Đăng", "phường Đông Kinh",
        "xã Tân Thanh"]


def test_letters_tones_and_case() -> None:
    assert vi_sorted(["Ân", "Ăn", "An", "Bắc", "Ba", "Bằng"], str) == [
        "An", "Ăn", "Ân", "Ba", "Bắc", "Bằng"]
    assert vi_sorted(["Ưng", "Uy", "Ơn", "Ôn", "Oa"], str) == ["Oa", "Ôn", "Ơn", "Uy", "Ưng"]
    # tones only decide between the same letters: ngang, huyền, hỏi, ngã, sắc, nặng
    assert vi_sorted(["mạ", "má", "mã", "mả", "mà", "ma"], str) == [
        "ma", "mà", "mả", "mã", "má", "mạ"]
    assert vi_sorted(["Mạc", "mà", "Ma"], str) == ["Ma", "mà", "Mạc"]
    assert vi_sorted(["Nam Quan", "Na Sầm"], str) == ["Na Sầm", "Nam Quan"]
    assert vi_key(unicodedata.normalize("NFD", "Đồng Đăng")) == vi_key("Đồng Đăng")


@given(st.lists(st.text(alphabet=ALPHABET + "àáảãạằắẳẵặầấẩẫậđèéẻẽẹ ", max_size=6), max_size=8))
def test_the_order_is_by_letters_first(words: list[str]) -> None:
    ranked = vi_sorted(words, str)
    letters = [[ALPHABET.index(c) if c in ALPHABET else -1 for c in _bare(w)] for w in ranked]
    assert letters == sorted(letters)


def _bare(word: str) -> str:
    """The word's letters without tones."""
    out = ""
    for ch in word:
        d = unicodedata.normalize("NFD", ch)
        base = "".join(c for c in d if c not in "\u0300\u0301\u0303\u0309\u0323")
        out += unicodedata.normalize("NFC", base)
    return out


def test_excel_report_and_commune_filters_in_vietnamese_order(demo_engine: Engine) -> None:
    out = BytesIO()
    with Session(demo_engine) as s:
        progress = write_excel(s, "CT-HNCL", dt.date(2025, 3, 31), out, Period.MONTH)
        filters = list_choices(s, None, PROVINCE)
    ws = openpyxl.load_workbook(BytesIO(out.getvalue()))["Tiến độ GPMB"]
    names = []
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        name = ws.cell(row=r, column=2).value
        if name == "Tổng cộng":
            break
        names.append(name)
    assert sorted(names) != names  # code-point order differs here: there are Đ communes
    assert names == sorted((r.name for r in progress.communes), key=vi_name_key)
    first = [vi_name_key(n)[0][0] for n in names]
    assert first == sorted(first)
    labels = [name for _, name in filters["communes"]]
    assert labels == sorted(labels, key=vi_name_key) and len(labels) == len(set(labels))
