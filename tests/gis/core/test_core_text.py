"""The one sheet/parcel parser behind the case list search and the map search."""

from __future__ import annotations

import pytest

from gis.core.text import parse_sheet_parcel


@pytest.mark.parametrize("query", [
    "12/345", " 12 / 345 ", "12 345", "12-345", "12.345", "12,345", "12:345", "12;345",
    "tờ 12 thửa 345", "Tờ 12 Thửa 345", "TỜ 12 THỬA 345", "tờ12 thửa345", "to 12 thua 345",
    "tờ 12/345",
])
def test_sheet_and_parcel_as_people_write_them(query: str) -> None:
    assert parse_sheet_parcel(query) == (12, 345)


def test_the_widest_numbers_of_both_former_parsers() -> None:
    """Sheets up to 6 digits and parcels up to 7 (what the case list accepted)."""
    assert parse_sheet_parcel("123456/1234567") == (123456, 1234567)
    assert parse_sheet_parcel("1234567/1") is None
    assert parse_sheet_parcel("1/12345678") is None


@pytest.mark.parametrize("query", ["Nguyễn Văn A", "12", "12/", "/345", "tờ 12", "12/34a", ""])
def test_anything_else_is_a_name_search(query: str) -> None:
    assert parse_sheet_parcel(query) is None
