"""``import_households``: a table (CSV or Excel) of land users joined to parcels on commune +
sheet + parcel. Everything is checked first (each problem names the spreadsheet row and
what to fix); then one atomic write that only changes what differs, so the same file twice
changes nothing."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compensation.records import open_household_records
from gis.core.domain import LandUserKind
from gis.core.errors import ImportRejected, InvalidInput
from gis.core.formats import Term
from gis.ingest.batches import Counts, file_digest, record_batch, record_changes
from gis.ingest.fields import _key
from gis.ingest.overlay import CURRENT_PARCEL
from gis.ingest.parcels import province_context
from gis.ingest.reader import ENCODING_VI, _decode_texts
from gis.ingest.report import Problem, Severity, ValidationReport
from gis.ingest.writer import import_savepoint

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
HEADER_SCAN_ROWS = 30
MAX_ROWS = 200_000

# target -> recognised headings (compared case-insensitively, ignoring _ - space)
HOUSEHOLD_FIELDS: dict[str, tuple[str, ...]] = {
    "commune_code": ("MaXa", "MaDVHC", "commune_code"),
    "sheet_commune_code": ("MaXaTo", "MaXaCu", "sheet_commune_code"),
    "sheet_no": ("SoTo", "SHBANDO", "SoHieuToBanDo", "SOTOBD", "ToBanDo", "To", "sheet_no"),
    "parcel_no": ("SoThua", "SHTHUA", "SoHieuThua", "Thua", "parcel_no"),
    "full_name": ("HoTen", "HoVaTen", "ChuSuDung", "TenChu", "ChuSD", "TenChuSuDung",
                  "full_name", "land_user_name"),
    "citizen_id": ("CCCD", "SoCCCD", "CanCuoc", "SoDinhDanh", "CMND", "SoCMND", "CMNDCCCD",
                   "citizen_id"),
    "phone": ("SoDienThoai", "DienThoai", "SDT", "DT", "phone"),
    "address": ("DiaChi", "DiaChiThuongTru", "NoiThuongTru", "ThuongTru", "address"),
    "kind": ("LoaiChu", "DoiTuong", "LoaiDoiTuong", "kind"),
    "share_pct": ("TyLe", "TiLe", "PhanTram", "TyLeSoHuu", "share_pct"),
}
TARGETS = tuple(HOUSEHOLD_FIELDS)
REQUIRED = ("sheet_no", "parcel_no", "full_name")
LABELS_VI = {
    "commune_code": "mã xã (MaXa)", "sheet_commune_code": "mã xã của tờ bản đồ (MaXaTo)",
    "sheet_no": "số tờ (SoTo)", "parcel_no": "số thửa (SoThua)",
    "full_name": "họ tên chủ sử dụng (HoTen)", "citizen_id": "số CCCD",
    "phone": "số điện thoại", "address": "địa chỉ (DiaChi)", "kind": "loại chủ (LoaiChu)",
    "share_pct": "tỷ lệ (%)",
}
_KINDS = {
    "gdc": LandUserKind.HOUSEHOLD, "hgd": LandUserKind.HOUSEHOLD,
    "hogiadinh": LandUserKind.HOUSEHOLD, "ho": LandUserKind.HOUSEHOLD,
    "household": LandUserKind.HOUSEHOLD,
    "cn": LandUserKind.INDIVIDUAL, "cnv": LandUserKind.INDIVIDUAL,
    "canhan": LandUserKind.INDIVIDUAL, "individual": LandUserKind.INDIVIDUAL,
    "tcc": LandUserKind.ORGANISATION, "tkt": LandUserKind.ORGANISATION,
    "tcn": LandUserKind.ORGANISATION, "ubs": LandUserKind.ORGANISATION,
    "tochuc": LandUserKind.ORGANISATION, "organisation": LandUserKind.ORGANISATION,
    "cds": LandUserKind.COMMUNITY, "congdong": LandUserKind.COMMUNITY,
    "congdongdancu": LandUserKind.COMMUNITY, "community": LandUserKind.COMMUNITY,
}
_FOLD = str.maketrans("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ",
                      "aaaaaaaaaaaaaaaaadeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyy")


def _fold(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower().translate(_FOLD))


def parse_household_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``--map`` pairs as ``{target: heading}``; either ``field=HEADING`` or ``HEADING=field``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        left, sep, right = (x.strip() for x in pair.partition("="))
        if sep and left in TARGETS and right:
            mapping[left] = right
        elif sep and right in TARGETS and left:
            mapping[right] = left
        else:
            raise InvalidInput(
                f"bad mapping {pair!r}; expected field=HEADING with field in {', '.join(TARGETS)}",
                message_vi=("Ánh xạ cột '{pair}' không đúng. Viết dạng trường=TÊN_CỘT (hoặc "
                            "TÊN_CỘT=trường), trường là một trong: {targets}."),
                params={"pair": pair, "targets": ", ".join(TARGETS)})
    return mapping


@dataclass
class Table:
    """The rows of a household list and where its heading row was."""

    frame: pd.DataFrame  # object values as read (numbers stay numbers in Excel)
    header_row: int  # 1-based row number of the headings in the file
    encoding: str
    columns: dict[str, str]  # target -> heading


def _resolve(headings: list[str], override: Mapping[str, str]) -> dict[str, str]:
    by_key = {_key(h): h for h in headings if h}
    resolved: dict[str, str] = {}
    for target, heading in override.items():
        if (actual := by_key.get(_key(heading))) is None:
            raise InvalidInput(
                f"column {heading!r} (for {target}) is not in the table",
                message_vi=("Bảng không có cột '{heading}' (ánh xạ cho {target}). "
                            "Các cột có trong bảng: {headings}."),
                params={"heading": heading, "target": Term(LABELS_VI[target]),
                        "headings": ", ".join(h for h in headings if h)})
        resolved[target] = actual
    for target, names in HOUSEHOLD_FIELDS.items():
        if target in resolved:
            continue
        for name in names:
            actual = by_key.get(_key(name))
            if actual is not None and actual not in resolved.values():
                resolved[target] = actual
                break
    return resolved


def _rows_of(path: Path, sheet: str | None) -> tuple[list[list[Any]], str]:
    """All cells of the first (or named) worksheet / the CSV, and the text encoding."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for broken files
            raise ImportRejected(f"cannot read {path.name}: {exc}", message_vi=(
                "Không đọc được tệp Excel {name} (tệp hỏng hoặc không phải .xlsx). Mở "
                "bằng Excel và lưu lại dạng .xlsx."), params={"name": path.name},
                code_detail="unreadable") from exc
        try:
            if sheet is not None and sheet not in wb.sheetnames:
                raise ImportRejected(f"no sheet {sheet!r}", message_vi=(
                    "Tệp không có trang '{sheet}'. Các trang: {sheets}."),
                    params={"sheet": sheet, "sheets": ", ".join(wb.sheetnames)},
                    code_detail="layer_missing")
            ws = wb[sheet] if sheet is not None else wb.worksheets[0]
            rows = [list(r) for _, r in zip(range(MAX_ROWS + HEADER_SCAN_ROWS),
                                            ws.iter_rows(values_only=True), strict=False)]
        finally:
            wb.close()
        return rows, "Unicode"
    if suffix not in (".csv", ".txt"):
        raise ImportRejected(f"unsupported table format {suffix}", message_vi=(
            "Định dạng {suffix} chưa được hỗ trợ cho danh sách hộ dân. Dùng "
            ".xlsx hoặc .csv."), params={"suffix": suffix or Term("(không rõ)")},
            code_detail="format")
    raw = path.read_bytes()
    try:
        content, encoding = raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        content, encoding = raw.decode("latin-1"), "legacy"
    try:
        dialect: Any = csv.Sniffer().sniff(content[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(content), dialect)], encoding


def read_table(path: Path, *, sheet: str | None = None,
               mapping: Mapping[str, str] | None = None) -> Table:
    """Read the table; the heading row is the first with at least two known headings."""
    if not path.is_file():
        raise ImportRejected(f"no such file: {path}", message_vi="Không tìm thấy tệp {path}.",
                             params={"path": str(path)}, code_detail="file_missing")
    rows, encoding = _rows_of(path, sheet)
    header_at, columns = None, {}
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headings = ["" if v is None else str(v).strip() for v in row]
        try:
            found = _resolve(headings, mapping or {})
        except InvalidInput:
            found = {}
        if len(found) >= 2 and ("parcel_no" in found or "full_name" in found):
            header_at, columns = i, found
            break
    if header_at is None:
        first = next((r for r in rows if any(v not in (None, "") for v in r)), [])
        shown = ", ".join(str(v) for v in first if v not in (None, "")) or Term("trống")
        raise ImportRejected("no heading row found", message_vi=(
            "Không tìm thấy dòng tiêu đề cột (MaXa, SoTo, SoThua, HoTen…) trong {name}. "
            "Dòng đầu tiên có: {shown}. Sửa tên cột hoặc dùng --map trường=TÊN_CỘT."),
            params={"name": path.name, "shown": shown},
            code_detail="no_header")
    headings = ["" if v is None else str(v).strip() for v in rows[header_at]]
    columns = _resolve(headings, mapping or {})
    body = [r + [None] * (len(headings) - len(r)) for r in rows[header_at + 1:]]
    body = [r[:len(headings)] for r in body]
    frame = pd.DataFrame(body, columns=[h or f"_{k}" for k, h in enumerate(headings)],
                         dtype=object)
    frame.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(frame))  # sheet row numbers
    frame = frame[[any(v not in (None, "") for v in r) for r in frame.itertuples(index=False)]]
    if encoding == "legacy":
        enc, _ = _decode_texts(frame, from_bytes=True)
        encoding = ENCODING_VI.get(enc, enc)
    if len(frame) > MAX_ROWS:
        raise ImportRejected(f"{len(frame)} rows", message_vi=(
            "Bảng có {count} dòng, vượt giới hạn {most}. Tách thành nhiều tệp."),
            params={"count": len(frame), "most": MAX_ROWS},
            code_detail="too_many_rows")
    return Table(frame, header_at + 1, encoding, columns)


# --- checking values ------------------------------------------------------------------


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v)) or (isinstance(v, str)
                                                                  and not v.strip())


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or _blank(v):
        return None
    if isinstance(v, int | float):
        return int(v) if float(v).is_integer() and v > 0 else None
    s = str(v).strip()
    return int(s) if s.isdigit() and int(s) > 0 else None


def _digits(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"[\s.\-]", "", str(v).strip())


def _mask(value: str) -> str:
    return value[:3] + "…" + value[-2:] if len(value) > 5 else "…"


def check_citizen_id(v: Any) -> tuple[str | None, str | None, bool]:
    """(12-digit CCCD, problem in Vietnamese, whether a lost leading zero was restored)."""
    s = _digits(v)
    if s.isdigit() and len(s) == 11:
        return "0" + s, None, True  # Excel drops the leading 0 of a number-formatted cell
    if not s.isdigit() or len(s) != 12:
        old = " (số CMND 9 số cũ không dùng được)" if s.isdigit() and len(s) == 9 else ""
        return None, (f"Số CCCD '{_mask(s)}' không đúng: cần đúng 12 chữ số{old}. Điền số "
                      "CCCD/định danh cá nhân 12 số, hoặc để trống nếu chưa có."), False
    if not 1 <= int(s[:3]) <= 96:
        return None, (f"Số CCCD '{_mask(s)}' có mã tỉnh '{s[:3]}' không tồn tại (001–096). "
                      "Kiểm tra lại số CCCD."), False
    return s, None, False


def check_phone(v: Any) -> tuple[str | None, str | None]:
    """Phone as the national number (0xxxxxxxxx), or a problem."""
    s = _digits(v).replace("(", "").replace(")", "")
    if s.startswith("+84"):
        s = "0" + s[3:]
    elif s.startswith("84") and len(s) == 11:
        s = "0" + s[2:]
    elif s.isdigit() and len(s) == 9 and s[0] != "0":
        s = "0" + s  # leading zero lost in Excel
    if re.fullmatch(r"0\d{9,10}", s):
        return s, None
    return None, (f"Số điện thoại '{v}' không đúng (cần 10 chữ số bắt đầu bằng 0, ví dụ "
                  "0912345678). Sửa hoặc để trống.")


def _kind(v: Any) -> LandUserKind | None:
    return _KINDS.get(_fold(str(v))) if not _blank(v) else LandUserKind.HOUSEHOLD


@dataclass
class HolderRow:
    """One valid row: a person holding a parcel."""

    row: int
    parcel_id: int
    parcel: str
    full_name: str
    citizen_id: str | None
    phone: str | None
    address: str | None
    kind: LandUserKind
    commune_code: str
    share_pct: int | None


@dataclass
class HouseholdImportResult:
    """The validation report and what the write did (or would do, for a dry run)."""

    report: ValidationReport
    users_created: int = 0
    users_updated: int = 0
    holdings_created: int = 0
    holdings_updated: int = 0
    unchanged_rows: int = 0
    other_holders: int = 0  # holders already recorded for these parcels, not in the file
    batch_id: int | None = None
    dry_run: bool = False
    previous: list[int] = field(default_factory=list)


def _parcels(session: Session, keys: set[tuple[str, int, int]]
             ) -> dict[tuple[str, int, int], list[tuple[int, str]]]:
    """Current parcels by (commune, sheet, parcel) -> [(id, sheet commune)]."""
    if not keys:
        return {}
    communes = sorted({k[0] for k in keys})
    rows = session.execute(text(f"""
        SELECT p.id, p.commune_code, p.sheet_no, p.parcel_no, p.sheet_commune_code
        FROM parcels p WHERE p.commune_code = ANY(:c) AND {CURRENT_PARCEL}"""),
        {"c": communes}).all()
    found: dict[tuple[str, int, int], list[tuple[int, str]]] = defaultdict(list)
    for pid, commune, sheet, parcel, sheet_commune in rows:
        if (commune, sheet, parcel) in keys:
            found[(commune, sheet, parcel)].append((int(pid), str(sheet_commune)))
    return found


def validate_households(session: Session, table: Table, *, source: str,
                        default_commune: str | None = None) -> tuple[list[HolderRow],
                                                                     ValidationReport]:
    """Check every row; returns the rows to write and the report."""
    cols = table.columns
    report = ValidationReport(source=source, features=len(table.frame), crs="",
                              encoding=table.encoding, columns=dict(cols))
    for target in REQUIRED + (("commune_code",) if not default_commune else ()):
        if target not in cols:
            report.add(Problem("missing_field", E, f"Thiếu cột {LABELS_VI[target]}. Thêm cột "
                               f"này, hoặc chỉ rõ bằng --map {target}=TÊN_CỘT"
                               + (", hoặc --commune cho cả tệp." if target == "commune_code"
                                  else "."), field=target))
    if not report.ok:
        return [], report
    ctx = province_context(session)
    frame = table.frame

    def get(target: str, r: Any) -> Any:
        return frame.at[r, cols[target]] if target in cols else None

    parsed: list[dict[str, Any]] = []
    for r in frame.index:
        row = int(r)
        raw_commune = get("commune_code", r)
        commune = default_commune if _blank(raw_commune) else _digits(raw_commune).zfill(5)
        sheet, parcel = _int(get("sheet_no", r)), _int(get("parcel_no", r))
        who = "/".join(str(x) if x else "?" for x in (commune, sheet, parcel))
        ok = True
        for target, value in (("sheet_no", sheet), ("parcel_no", parcel)):
            if value is None:
                report.add(Problem("bad_value", E, f"{LABELS_VI[target].capitalize()} "
                                   f"'{get(target, r) or ''}' không phải số nguyên dương. Sửa "
                                   "giá trị trong bảng.", row, who, target))
                ok = False
        if commune is None:
            report.add(Problem("missing_value", E, "Thiếu mã xã. Điền mã xã 5 chữ số hoặc dùng "
                               "--commune cho cả tệp.", row, who, "commune_code"))
            ok = False
        elif commune not in ctx.communes:
            report.add(Problem("unknown_commune", E, f"Mã xã '{commune}' không thuộc tỉnh Lạng "
                               "Sơn. Kiểm tra lại mã xã.", row, who, "commune_code"))
            ok = False
        else:
            commune = ctx.communes[commune]
        key_ok = ok  # the parcel can be looked up even when other values are wrong
        name = get("full_name", r)
        name = None if _blank(name) else re.sub(r"\s+", " ", str(name)).strip()
        if name is None:
            report.add(Problem("missing_value", E, "Thiếu họ tên chủ sử dụng. Điền họ tên (hoặc"
                               " tên tổ chức).", row, who, "full_name"))
            ok = False
        cid = None
        if not _blank(raw := get("citizen_id", r)):
            cid, problem, padded = check_citizen_id(raw)
            if problem:
                report.add(Problem("bad_citizen_id", E, problem, row, who, "citizen_id"))
                ok = False
            elif padded:
                report.add(Problem("citizen_id_padded", INFO, "Số CCCD có 11 chữ số: đã thêm số"
                                   " 0 ở đầu (Excel làm mất khi định dạng ô là số).", row, who,
                                   "citizen_id"))
        phone = None
        if not _blank(raw := get("phone", r)):
            phone, problem = check_phone(raw)
            if problem:
                report.add(Problem("bad_phone", E, problem, row, who, "phone"))
                ok = False
        kind = _kind(get("kind", r))
        if kind is None:
            report.add(Problem("bad_value", E, f"Loại chủ '{get('kind', r)}' không rõ. Dùng: hộ "
                               "gia đình (GDC), cá nhân, tổ chức (TCC), cộng đồng (CDS).", row,
                               who, "kind"))
            ok = False
        share = None
        if not _blank(raw := get("share_pct", r)):
            share = _int(raw)
            if share is None or share > 100:
                report.add(Problem("bad_value", E, f"Tỷ lệ '{raw}' phải là số nguyên 1–100 (%).",
                                   row, who, "share_pct"))
                ok = False
        address = get("address", r)
        parsed.append({"row": row, "ok": ok, "key_ok": key_ok, "commune": commune, "sheet": sheet,
                       "parcel": parcel, "who": who, "name": name, "cid": cid, "phone": phone,
                       "kind": kind, "share": share,
                       "address": None if _blank(address) else str(address).strip(),
                       "sheet_commune": None if _blank(sc := get("sheet_commune_code", r))
                       else _digits(sc).zfill(5)})
    good = [p for p in parsed if p["key_ok"]]
    found = _parcels(session, {(p["commune"], p["sheet"], p["parcel"]) for p in good})
    rows: list[HolderRow] = []
    for p in good:
        matches = found.get((p["commune"], p["sheet"], p["parcel"]), [])
        if p["sheet_commune"]:
            matches = [m for m in matches if m[1] == p["sheet_commune"]]
        if not matches:
            report.add(Problem("unknown_parcel", E, f"Không có thửa {p['who']} trong CSDL. Kiểm "
                               "tra mã xã, số tờ, số thửa; hoặc nhập bản đồ thửa đất trước.",
                               p["row"], p["who"]))
            continue
        if len(matches) > 1:
            report.add(Problem("ambiguous_parcel", E, f"Thửa {p['who']} có ở {len(matches)} tờ "
                               "bản đồ của các xã cũ trước sáp nhập. Thêm cột MaXaTo (mã xã cũ "
                               "của tờ bản đồ).", p["row"], p["who"]))
            continue
        if not p["ok"]:
            continue
        rows.append(HolderRow(p["row"], matches[0][0], p["who"], p["name"], p["cid"],
                              p["phone"], p["address"], p["kind"], p["commune"], p["share"]))
    _cross_checks(rows, report)
    return rows, report


def _person_key(h: HolderRow) -> tuple[str, ...]:
    return ("id", h.citizen_id) if h.citizen_id else ("name", h.full_name.casefold(),
                                                      (h.address or "").casefold())


def _cross_checks(rows: list[HolderRow], report: ValidationReport) -> None:
    """Duplicate rows, one CCCD under two names, shares per parcel."""
    seen: dict[tuple[Any, ...], int] = {}
    names: dict[str, tuple[str, int]] = {}
    for h in rows:
        key = (h.parcel_id, *_person_key(h))
        if key in seen:
            report.add(Problem("duplicate_row", E, f"Trùng với dòng {seen[key]} (cùng thửa, cùng "
                               "người). Xoá một trong hai dòng.", h.row, h.parcel))
        else:
            seen[key] = h.row
        if h.citizen_id:
            name, first = names.setdefault(h.citizen_id, (h.full_name, h.row))
            if name.casefold() != h.full_name.casefold():
                report.add(Problem("citizen_id_conflict", E, f"Cùng số CCCD với dòng {first} nhưng"
                                   f" khác họ tên ('{name}' / '{h.full_name}'). Sửa số CCCD hoặc "
                                   "họ tên.", h.row, h.parcel, "citizen_id"))
    by_parcel: dict[int, list[HolderRow]] = defaultdict(list)
    for h in rows:
        by_parcel[h.parcel_id].append(h)
    for holders in by_parcel.values():
        given = [h.share_pct for h in holders if h.share_pct is not None]
        if given and (len(given) != len(holders) or sum(given) != 100):
            report.add(Problem("share_sum", W, f"Tổng tỷ lệ của thửa {holders[0].parcel} là "
                               f"{sum(given)} % trên {len(holders)} người (nên là 100 %). Kiểm "
                               "tra cột tỷ lệ.", holders[0].row, holders[0].parcel, "share_pct"))
        if not given:  # equal shares: 100, 50/50, 34/33/33…
            n = len(holders)
            for k, h in enumerate(holders):
                h.share_pct = 100 // n + (1 if k < 100 % n else 0)
        missing = [h for h in holders if h.share_pct is None]
        for h in missing:  # what the given shares leave, split among the others
            h.share_pct = max(1, (100 - sum(given)) // len(missing))
        for h in holders:
            h.share_pct = max(1, min(100, h.share_pct or 1))


def _db_checks(session: Session, rows: list[HolderRow], report: ValidationReport) -> None:
    """A CCCD already recorded for someone with another name is refused."""
    ids = sorted({h.citizen_id for h in rows if h.citizen_id})
    if not ids:
        return
    known: dict[str, str] = {str(c): str(n) for c, n in session.execute(text(
        "SELECT citizen_id, full_name FROM land_users WHERE citizen_id = ANY(:ids)"),
        {"ids": ids}).all()}
    for h in rows:
        name = known.get(h.citizen_id or "")
        if name is not None and name.casefold() != h.full_name.casefold():
            report.add(Problem("citizen_id_taken", E, f"Số CCCD này đã được ghi cho '{name}' trong"
                               f" CSDL, khác họ tên '{h.full_name}'. Kiểm tra lại số CCCD hoặc "
                               "họ tên.", h.row, h.parcel, "citizen_id"))


@dataclass
class _Person:
    user_id: int | None
    rows: list[HolderRow]
    current: dict[str, Any] = field(default_factory=dict)


_USER_COLS = ("full_name", "citizen_id", "phone", "address", "kind", "commune_code")


def _people(session: Session, rows: list[HolderRow]) -> tuple[list[_Person], int]:
    """Group rows by person and find each one's existing land user, if any."""
    parcel_ids = sorted({h.parcel_id for h in rows})
    holders = session.execute(text(
        "SELECT pu.parcel_id, u.id, u.full_name, u.citizen_id, u.phone, u.address,"
        " u.kind::text, u.commune_code FROM parcel_land_users pu"
        " JOIN land_users u ON u.id = pu.land_user_id WHERE pu.parcel_id = ANY(:p)"),
        {"p": parcel_ids}).all()
    by_parcel: dict[int, list[Any]] = defaultdict(list)
    for held in holders:
        by_parcel[int(held[0])].append(held)
    ids = sorted({h.citizen_id for h in rows if h.citizen_id})
    by_cid = {r[2]: r for r in session.execute(text(
        "SELECT id, full_name, citizen_id, phone, address, kind::text, commune_code"
        " FROM land_users WHERE citizen_id = ANY(:ids)"), {"ids": ids}).all()}
    nameless = sorted({h.full_name for h in rows if not h.citizen_id})
    by_name = defaultdict(list)
    for r in session.execute(text(
            "SELECT id, full_name, citizen_id, phone, address, kind::text, commune_code"
            " FROM land_users WHERE citizen_id IS NULL AND full_name = ANY(:n)"),
            {"n": nameless}).all():
        by_name[(r[1].casefold(), (r[4] or "").casefold(), r[6])].append(r)
    groups: dict[tuple[str, ...], list[HolderRow]] = defaultdict(list)
    for h in rows:
        groups[_person_key(h)].append(h)
    people = []
    for key, members in groups.items():
        found: Any = None
        first = members[0]
        if first.citizen_id:
            found = by_cid.get(first.citizen_id)
        if found is None:  # the same name already holding one of these parcels
            for h in members:
                found = next((r[1:] for r in by_parcel[h.parcel_id]
                              if r[2].casefold() == h.full_name.casefold()
                              and (r[3] is None or r[3] == h.citizen_id)), None)
                if found is not None:
                    break
        if found is None and key[0] == "name":
            same = by_name.get((first.full_name.casefold(), (first.address or "").casefold(),
                                first.commune_code), [])
            found = same[0] if len(same) == 1 else None
        person = _Person(None if found is None else int(found[0]), members)
        if found is not None:
            person.current = dict(zip(_USER_COLS, found[1:], strict=True))
        people.append(person)
    in_file = {(h.parcel_id, p.user_id) for p in people for h in p.rows if p.user_id}
    others = sum(1 for pid, hs in by_parcel.items() for x in hs if (pid, int(x[1])) not in in_file)
    return people, others


def _wanted(person: _Person) -> dict[str, Any]:
    """The user's attributes from the file; blanks keep what is recorded."""
    rows = person.rows
    first = rows[0]
    out: dict[str, Any] = {"full_name": first.full_name, "kind": first.kind.value,
                           "commune_code": first.commune_code}
    for col in ("citizen_id", "phone", "address"):
        value = next((getattr(h, col) for h in rows if getattr(h, col)), None)
        out[col] = value if value is not None else person.current.get(col)
    return out


def _write(session: Session, rows: list[HolderRow], result: HouseholdImportResult
           ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    people, result.other_holders = _people(session, rows)
    user_changes: list[tuple[int, str]] = []
    holding_changes: list[tuple[int, str]] = []
    touched_rows: set[int] = set()
    for person in people:
        want = _wanted(person)
        if person.user_id is None:
            person.user_id = int(session.execute(text(
                "INSERT INTO land_users (kind, full_name, citizen_id, phone, address,"
                " commune_code) VALUES (CAST(:kind AS land_user_kind), :full_name, :citizen_id,"
                " :phone, :address, :commune_code) RETURNING id"), want).scalar_one())
            result.users_created += 1
            user_changes.append((person.user_id, "I"))
            touched_rows.update(h.row for h in person.rows)
        elif any(want[c] != person.current.get(c) for c in _USER_COLS):
            session.execute(text(
                "UPDATE land_users SET kind = CAST(:kind AS land_user_kind),"
                " full_name = :full_name, citizen_id = :citizen_id, phone = :phone,"
                " address = :address, commune_code = :commune_code WHERE id = :id"),
                {**want, "id": person.user_id})
            result.users_updated += 1
            user_changes.append((person.user_id, "U"))
            touched_rows.update(h.row for h in person.rows)
    keys = [(h.parcel_id, p.user_id) for p in people for h in p.rows]
    existing = {(int(a), int(b)): int(s) for a, b, s in session.execute(text(
        "SELECT parcel_id, land_user_id, share_pct FROM parcel_land_users"
        " WHERE parcel_id = ANY(:p)"), {"p": sorted({k[0] for k in keys})}).all()}
    for person in people:
        for h in person.rows:
            key = (h.parcel_id, int(person.user_id or 0))
            if key not in existing:
                session.execute(text(
                    "INSERT INTO parcel_land_users (parcel_id, land_user_id, share_pct)"
                    " VALUES (:p, :u, :s)"), {"p": key[0], "u": key[1], "s": h.share_pct})
                existing[key] = int(h.share_pct or 100)
                result.holdings_created += 1
                holding_changes.append((h.parcel_id, "I"))
                touched_rows.add(h.row)
            elif existing[key] != h.share_pct:
                session.execute(text(
                    "UPDATE parcel_land_users SET share_pct = :s"
                    " WHERE parcel_id = :p AND land_user_id = :u"),
                    {"p": key[0], "u": key[1], "s": h.share_pct})
                existing[key] = int(h.share_pct or 100)
                result.holdings_updated += 1
                holding_changes.append((h.parcel_id, "U"))
                touched_rows.add(h.row)
    result.unchanged_rows = len(rows) - len(touched_rows)
    return user_changes, holding_changes


def import_households(
    session: Session,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    commune: str | None = None,
    dry_run: bool = False,
    actor: str = "import",
) -> HouseholdImportResult:
    """Import land users from a CSV/XLSX list inside ``session``'s transaction.

    Raises :class:`ImportRejected` (report in ``extra["report"]``) when any row has a
    blocking problem; nothing is written then.
    """
    table = read_table(path, sheet=sheet, mapping=mapping)
    rows, report = validate_households(session, table, source=path.name,
                                       default_commune=commune)
    _db_checks(session, rows, report)
    if not report.ok:
        n = len(report.errors)
        raise ImportRejected(f"{n} blocking problem(s) in {path.name}", message_vi=(
            "Tệp {name} có {n} lỗi cần sửa; chưa có dữ liệu nào được ghi. Xem báo cáo "
            "kiểm tra."), params={"name": path.name, "n": n}, report=report)
    result = HouseholdImportResult(report, dry_run=dry_run)
    digest = file_digest(path)
    with import_savepoint(session, dry_run=dry_run):
        session.execute(text("SELECT set_config('gpmb.actor', :a, true)"), {"a": actor})
        users, holdings = _write(session, rows, result)
        # New land users of parcels already in a project get their household records now.
        open_household_records(session, parcel_ids=sorted({p for p, _ in holdings}))
        if not dry_run:
            changed_rows = len(rows) - result.unchanged_rows
            result.batch_id = record_batch(
                session, "households", digest, actor=actor,
                counts=Counts(created=result.users_created + result.holdings_created,
                              updated=max(0, changed_rows - result.holdings_created),
                              unchanged=result.unchanged_rows),
                note=(f"{result.users_created} người mới, {result.users_updated} cập nhật; "
                      f"{result.holdings_created} quan hệ thửa–người mới, "
                      f"{result.holdings_updated} đổi tỷ lệ"))
            record_changes(session, result.batch_id, "land_user", users)
            record_changes(session, result.batch_id, "parcel_land_user", holdings)
    return result
