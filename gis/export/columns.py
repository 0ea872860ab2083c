"""The fixed field mapping of every export: one short name per field, used unchanged in
GeoPackage, Shapefile, GeoJSON and KML, and a Vietnamese heading used in Excel and in the
KML description.

Short names are ASCII, at most 10 characters (the DBF limit of Shapefiles), so a field has
the same name in every format and nothing is truncated by GDAL. Parcel fields reuse the
names surveyors' files carry (``MaXa``, ``SoTo``, ``SoThua``, ``DienTich``, ``LoaiDat``,
``DiaChi``, ``ChuSuDung``), which ``gis.ingest.fields`` recognises: an exported parcel file
imports back as it is.

| name | parcels | cases | heading |
|---|---|---|---|
| IdHoSo | | ✓ | Mã hồ sơ GPMB (id) |
| MaDuAn | | ✓ | Mã dự án |
| IdThua | ✓ | ✓ | Mã thửa trong CSDL (id) |
| DotDo | ✓ | | Đợt đo đạc |
| MaXa, TenXa | ✓ | ✓ | Mã xã, Xã/phường |
| MaXaTo | ✓ | | Mã xã của tờ bản đồ (before the 2025 merger) |
| SoTo, SoThua | ✓ | ✓ | Số tờ, Số thửa |
| LoaiDat | ✓ | ✓ | Loại đất: as recorded (parcels; may be pre-2024) / 2024 code (cases) |
| MaLD2024, TenLoaiDat | ✓ | | Loại đất 2024, its name |
| DienTich | ✓ | ✓ | Diện tích pháp lý (m²) |
| DTBanDo | ✓ | | Diện tích theo bản đồ (m², from the geometry) |
| DTThuHoi, ThuHoiHet | | ✓ | Diện tích thu hồi (m²), thu hồi cả thửa |
| Buoc, TenBuoc, NgayBuoc | | ✓ | step code, its Vietnamese label, date it was reached |
| PADuyet, DaChiTra, ConLai | | ✓ | approved, paid, outstanding (integer VND) |
| TaiDinhCu, KhieuNai | | ✓ | needs resettlement, complaint open |
| NgayBG | | ✓ | handover date |
| HanTiep, HanChot, QuaHan | | ✓ | next obligation, its due date, overdue |
| CanBoPT, DonViPT | | ✓ | officer and unit responsible for the case (revision 0010) |
| ChuSuDung | ✓ | ✓ | land users' names ("; "-separated) |
| CCCD, DienThoai | ✓ | ✓ | citizen ID numbers, phones: only for roles that may see them |
| DuAn | ✓ | | projects with a clearance case on the parcel |

Dates are dates in GeoPackage, Shapefile (DBF ``D``) and Excel; GeoJSON and KML have no date
type, so there they are ISO ``YYYY-MM-DD`` text. Booleans are booleans (GPKG boolean, DBF
logical ``L``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gis.core.domain import STEP_LABELS_VI


class Kind(StrEnum):
    """How a field's values are typed and formatted."""

    TEXT = "text"
    INT = "int"
    AREA = "area"  # m², one decimal
    VND = "vnd"  # integer đồng
    DATE = "date"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    """One exported field: its short name, Vietnamese heading, type and source."""

    name: str
    heading_vi: str
    kind: Kind
    sql: str | None  # None: filled in from the deadlines, not selected
    personal: bool = False


def _step_label_sql(expr: str) -> str:
    whens = " ".join(f"WHEN '{step.value}' THEN '{label}'"
                     for step, label in STEP_LABELS_VI.items())
    return f"CASE {expr}::text {whens} END"


_HOLDERS = "h.names"
_COMMUNE = "CASE cm.unit_type WHEN 'phuong' THEN 'Phường ' ELSE 'Xã ' END || cm.name"
PARCEL_COLUMNS: tuple[Column, ...] = (
    Column("IdThua", "Mã thửa trong CSDL", Kind.INT, "p.id"),
    Column("DotDo", "Đợt đo đạc", Kind.TEXT, "s.name"),
    Column("MaXa", "Mã xã", Kind.TEXT, "p.commune_code"),
    Column("TenXa", "Xã/phường", Kind.TEXT, _COMMUNE),
    Column("MaXaTo", "Mã xã của tờ bản đồ", Kind.TEXT, "p.sheet_commune_code"),
    Column("SoTo", "Số tờ", Kind.INT, "p.sheet_no"),
    Column("SoThua", "Số thửa", Kind.INT, "p.parcel_no"),
    Column("LoaiDat", "Loại đất (theo hồ sơ)", Kind.TEXT,
           "coalesce(p.land_use_code_source, p.land_use_code)"),
    Column("MaLD2024", "Loại đất (mã 2024)", Kind.TEXT, "p.land_use_code"),
    Column("TenLoaiDat", "Tên loại đất", Kind.TEXT, "lu.name_vi"),
    Column("DienTich", "Diện tích pháp lý (m²)", Kind.AREA, "p.legal_area_m2::float8"),
    Column("DTBanDo", "Diện tích theo bản đồ (m²)", Kind.AREA,
           "round(ST_Area(p.geom)::numeric, 1)::float8"),
    Column("DiaChi", "Địa chỉ thửa đất", Kind.TEXT, "p.address"),
    Column("ChuSuDung", "Chủ sử dụng", Kind.TEXT, _HOLDERS),
    Column("CCCD", "Số CCCD/CMND", Kind.TEXT, "h.citizen_ids", personal=True),
    Column("DienThoai", "Số điện thoại", Kind.TEXT, "h.phones", personal=True),
    Column("DuAn", "Dự án có hồ sơ GPMB", Kind.TEXT, "pr.codes"),
)

CASE_COLUMNS: tuple[Column, ...] = (
    Column("IdHoSo", "Mã hồ sơ GPMB", Kind.INT, "cc.id"),
    Column("MaDuAn", "Mã dự án", Kind.TEXT, "pj.code"),
    Column("IdThua", "Mã thửa trong CSDL", Kind.INT, "p.id"),
    Column("MaXa", "Mã xã", Kind.TEXT, "p.commune_code"),
    Column("TenXa", "Xã/phường", Kind.TEXT, _COMMUNE),
    Column("SoTo", "Số tờ", Kind.INT, "p.sheet_no"),
    Column("SoThua", "Số thửa", Kind.INT, "p.parcel_no"),
    Column("LoaiDat", "Loại đất (mã 2024)", Kind.TEXT, "p.land_use_code"),
    Column("DienTich", "Diện tích pháp lý (m²)", Kind.AREA, "p.legal_area_m2::float8"),
    Column("DTThuHoi", "Diện tích thu hồi (m²)", Kind.AREA, "cc.recovered_area_m2::float8"),
    Column("ThuHoiHet", "Thu hồi cả thửa", Kind.BOOL, "cc.is_whole_parcel"),
    Column("Buoc", "Mã bước", Kind.TEXT, "cc.step::text"),
    Column("TenBuoc", "Bước GPMB", Kind.TEXT, _step_label_sql("cc.step")),
    Column("NgayBuoc", "Ngày đến bước này", Kind.DATE, "cc.step_changed_on"),
    Column("PADuyet", "Phương án được duyệt (đồng)", Kind.VND, "cc.approved_total_vnd"),
    Column("DaChiTra", "Đã chi trả (đồng)", Kind.VND, "cc.paid_vnd"),
    Column("ConLai", "Còn phải chi trả (đồng)", Kind.VND,
           "cc.approved_total_vnd - cc.paid_vnd"),
    Column("TaiDinhCu", "Cần tái định cư", Kind.BOOL, "cc.resettlement_needed"),
    Column("KhieuNai", "Đang khiếu nại", Kind.BOOL, "cc.complaint_open"),
    Column("NgayBG", "Ngày bàn giao mặt bằng", Kind.DATE, "cc.handover_date"),
    Column("HanTiep", "Việc phải làm tiếp theo", Kind.TEXT, None),
    Column("HanChot", "Hạn phải xong", Kind.DATE, None),
    Column("QuaHan", "Quá hạn", Kind.BOOL, None),
    Column("CanBoPT", "Cán bộ phụ trách", Kind.TEXT, "cc.responsible_officer"),
    Column("DonViPT", "Đơn vị phụ trách", Kind.TEXT, "cc.responsible_unit"),
    Column("ChuSuDung", "Chủ sử dụng", Kind.TEXT, _HOLDERS),
    Column("CCCD", "Số CCCD/CMND", Kind.TEXT, "h.citizen_ids", personal=True),
    Column("DienThoai", "Số điện thoại", Kind.TEXT, "h.phones", personal=True),
)

PERSONAL_FIELDS = frozenset(c.name for c in PARCEL_COLUMNS + CASE_COLUMNS if c.personal)


def columns_for(kind: str, *, personal: bool) -> tuple[Column, ...]:
    """The fields of a ``parcels`` or ``cases`` export, without personal ones unless allowed."""
    table = PARCEL_COLUMNS if kind == "parcels" else CASE_COLUMNS
    return tuple(c for c in table if personal or not c.personal)
