"""Attribute mapping: the usual Vietnamese cadastral field names onto GPMB's parcel fields."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from gis.core.errors import InvalidInput
from gis.core.formats import Term

# target field -> recognised source names (compared case-insensitively, ignoring _ - space)
KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "commune_code": ("MaXa", "MA_XA", "MAXA", "MaDVHC", "MADVHC", "commune_code"),
    "sheet_commune_code": ("MaXaTo", "MaXaCu", "MA_XA_CU", "sheet_commune_code"),
    "sheet_no": ("SoTo", "SO_TO", "SHBANDO", "SoHieuToBanDo", "SOTOBD", "ToBanDo",
                 "sheet_no"),
    "parcel_no": ("SoThua", "SO_THUA", "SHTHUA", "SoHieuThua", "Thua", "parcel_no"),
    "legal_area_m2": ("DienTich", "DIEN_TICH", "DT", "DTPL", "DienTichPL", "legal_area_m2",
                      "area_m2"),
    "land_use_code": ("LoaiDat", "LOAI_DAT", "MDSD", "KHLOAIDAT", "MucDichSD", "MaMDSD",
                      "land_use_code"),
    "land_user_name": ("ChuSuDung", "CHU_SU_DUNG", "TENCHU", "TenChu", "ChuSD",
                       "land_user_name"),
    "address": ("DiaChi", "DIA_CHI", "DiaChiThua", "address"),
}
TARGETS = tuple(KNOWN_FIELDS)
REQUIRED = ("commune_code", "sheet_no", "parcel_no", "legal_area_m2", "land_use_code")
TEXT_TARGETS = ("land_user_name", "address")

LABELS_VI: dict[str, str] = {
    "commune_code": "mã xã (MaXa)",
    "sheet_commune_code": "mã xã của tờ bản đồ (MaXaTo)",
    "sheet_no": "số tờ (SoTo)",
    "parcel_no": "số thửa (SoThua)",
    "legal_area_m2": "diện tích pháp lý (DienTich)",
    "land_use_code": "loại đất (LoaiDat/MDSD)",
    "land_user_name": "chủ sử dụng (ChuSuDung)",
    "address": "địa chỉ (DiaChi)",
}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).casefold()


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """Parse CLI ``field=column`` pairs into ``{target: source column}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not column or target not in TARGETS:
            raise InvalidInput(
                f"bad mapping {pair!r}; expected field=column with field in {', '.join(TARGETS)}",
                message_vi=("Ánh xạ trường '{pair}' không đúng. Viết dạng trường=cột, trường là"
                            " một trong: {targets}."),
                params={"pair": pair, "targets": ", ".join(TARGETS)},
            )
        mapping[target] = column
    return mapping


def resolve_columns(columns: Iterable[str], override: Mapping[str, str] | None = None
                    ) -> dict[str, str]:
    """Map targets to the file's columns: explicit ``override`` first, then known names."""
    present = [c for c in columns if c != "geometry"]
    by_key = {_key(c): c for c in present}
    resolved: dict[str, str] = {}
    for target, column in (override or {}).items():
        actual = by_key.get(_key(column))
        if actual is None:
            raise InvalidInput(
                f"column {column!r} (for {target}) is not in the file: {', '.join(present)}",
                message_vi=("Tệp không có cột '{column}' (ánh xạ cho {target}). "
                            "Các cột có trong tệp: {columns}."),
                params={"column": column, "target": Term(LABELS_VI[target]),
                        "columns": ", ".join(present)},
            )
        resolved[target] = actual
    for target, names in KNOWN_FIELDS.items():
        if target in resolved:
            continue
        for name in names:
            if (actual := by_key.get(_key(name))) is not None and actual not in resolved.values():
                resolved[target] = actual
                break
    return resolved
