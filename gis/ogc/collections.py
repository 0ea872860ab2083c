"""The feature collections GPMB publishes through OGC API – Features, described as data:
the FROM clause, the keyset id, the geometry, the properties (with their queryable type)
and the temporal column. ``gis.ogc.features`` turns a description into SQL.

Personal data (citizen ID and phone numbers of land users) is a property marked
``personal``: for a caller who may not see it the column is still there, always null, so
the schema is the same for every role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# "vnd": money, integer VND (often billions, past 32 bits); see catalog._JSON_TYPES
PropType = Literal["string", "integer", "vnd", "number", "boolean", "date", "date-time"]


@dataclass(frozen=True)
class Prop:
    """One feature property: its SQL expression and JSON type."""

    name: str
    sql: str
    type: PropType
    title: str
    queryable: bool = False
    personal: bool = False
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Collection:
    """A published feature collection."""

    id: str
    title: str
    description: str
    from_sql: str  # FROM … JOIN …, aliases used by the expressions below
    id_sql: str  # keyset: unique, indexed, orders the pages
    id_type: Literal["integer", "string"]
    geom_sql: str  # EPSG:9215
    geometry_type: str  # GeoJSON type, for the queryables and clients
    table: str  # the table whose size decides an estimated numberMatched
    props: tuple[Prop, ...]
    temporal_sql: str | None = None  # timestamptz column the datetime parameter filters
    where_sql: str = "true"
    lateral_sql: str = ""  # joins only the page needs (not the count)
    # conditions keeping the rows of the projects %(scope_projects)s / communes
    # %(scope_communes)s (psycopg placeholders, like every expression here)
    scope_projects_sql: str | None = None
    scope_communes_sql: str | None = None

    def prop(self, name: str) -> Prop:
        """The property called ``name`` (KeyError if none)."""
        return next(p for p in self.props if p.name == name)

    @property
    def queryables(self) -> tuple[Prop, ...]:
        """The properties a client may filter on by equality (``?name=value``)."""
        return tuple(p for p in self.props if p.queryable)


_IN_PROJECTS = " = ANY(CAST(%(scope_projects)s AS int[]))"
_IN_COMMUNES = " = ANY(CAST(%(scope_communes)s AS text[]))"

STEPS = ("not_started", "notified", "inventoried", "plan_posted", "plan_approved", "decided",
         "paid", "decided_paid", "handed_over")

PARCELS = Collection(
    id="parcels", title="Thửa đất", table="parcels",
    description="Thửa đất địa chính (VN-2000 / TM-3 107-15), mỗi đợt đo đạc một phiên bản.",
    from_sql="parcels p", id_sql="p.id", id_type="integer", geom_sql="p.geom",
    geometry_type="MultiPolygon", temporal_sql="p.updated_at",
    scope_communes_sql="p.commune_code" + _IN_COMMUNES,
    scope_projects_sql="EXISTS (SELECT 1 FROM clearance_cases sc WHERE sc.parcel_id = p.id"
    " AND sc.project_id" + _IN_PROJECTS + ")",
    props=(
        Prop("survey_id", "p.survey_id", "integer", "Đợt đo đạc", queryable=True),
        Prop("commune_code", "p.commune_code", "string", "Mã xã", queryable=True),
        Prop("sheet_commune_code", "p.sheet_commune_code", "string", "Mã xã của tờ bản đồ"),
        Prop("sheet_no", "p.sheet_no", "integer", "Số tờ", queryable=True),
        Prop("parcel_no", "p.parcel_no", "integer", "Số thửa", queryable=True),
        Prop("land_use_code", "p.land_use_code", "string", "Mã loại đất", queryable=True),
        Prop("legal_area_m2", "p.legal_area_m2::float8", "number", "Diện tích pháp lý (m²)"),
        Prop("address", "p.address", "string", "Địa chỉ"),
        Prop("updated_at", "p.updated_at", "date-time", "Cập nhật lúc"),
        Prop("version", "p.version", "integer", "Phiên bản"),
    ),
)

_HOLDERS = """LEFT JOIN LATERAL (
    SELECT string_agg(u.full_name, '; ' ORDER BY u.id) AS names,
           string_agg(u.citizen_id, '; ' ORDER BY u.id) AS citizen_ids,
           string_agg(u.phone, '; ' ORDER BY u.id) AS phones,
           count(*) AS n
    FROM parcel_land_users pl JOIN land_users u ON u.id = pl.land_user_id
    WHERE pl.parcel_id = c.parcel_id) h ON true"""

CASES = Collection(
    id="clearance-cases", title="Hồ sơ GPMB", table="clearance_cases",
    description="Hồ sơ giải phóng mặt bằng (dự án × thửa): phần diện tích thu hồi, bước "
    "thủ tục, số tiền phê duyệt/đã chi trả và cờ quá hạn.",
    from_sql="clearance_cases c JOIN parcels p ON p.id = c.parcel_id "
    "JOIN projects pr ON pr.id = c.project_id "
    "LEFT JOIN case_next_deadlines d ON d.case_id = c.id", lateral_sql=_HOLDERS,
    id_sql="c.id", id_type="integer", geom_sql="c.recovered_geom",
    geometry_type="MultiPolygon", temporal_sql="c.updated_at",
    scope_projects_sql="c.project_id" + _IN_PROJECTS,
    scope_communes_sql="p.commune_code" + _IN_COMMUNES,
    props=(
        Prop("project_id", "c.project_id", "integer", "Mã số dự án", queryable=True),
        Prop("project_code", "pr.code", "string", "Mã dự án", queryable=True),
        Prop("parcel_id", "c.parcel_id", "integer", "Mã số thửa đất", queryable=True),
        Prop("commune_code", "p.commune_code", "string", "Mã xã", queryable=True),
        Prop("sheet_no", "p.sheet_no", "integer", "Số tờ", queryable=True),
        Prop("parcel_no", "p.parcel_no", "integer", "Số thửa", queryable=True),
        Prop("land_use_code", "p.land_use_code", "string", "Mã loại đất", queryable=True),
        Prop("step", "c.step::text", "string", "Bước thủ tục", queryable=True, enum=STEPS),
        Prop("step_changed_on", "c.step_changed_on", "date", "Ngày chuyển bước"),
        Prop("recovered_area_m2", "c.recovered_area_m2::float8", "number",
             "Diện tích thu hồi (m²)"),
        Prop("is_whole_parcel", "c.is_whole_parcel", "boolean", "Thu hồi cả thửa",
             queryable=True),
        Prop("approved_total_vnd", "c.approved_total_vnd", "vnd",
             "Tổng tiền phê duyệt (VNĐ)"),
        Prop("approved_land_vnd", "c.approved_land_vnd", "vnd", "Bồi thường đất (VNĐ)"),
        Prop("approved_structures_vnd", "c.approved_structures_vnd", "vnd",
             "Bồi thường công trình (VNĐ)"),
        Prop("approved_crops_vnd", "c.approved_crops_vnd", "vnd",
             "Bồi thường cây trồng (VNĐ)"),
        Prop("approved_support_vnd", "c.approved_support_vnd", "vnd", "Hỗ trợ (VNĐ)"),
        Prop("approved_resettlement_vnd", "c.approved_resettlement_vnd", "vnd",
             "Tái định cư (VNĐ)"),
        Prop("paid_vnd", "c.paid_vnd", "vnd", "Đã chi trả (VNĐ)"),
        Prop("resettlement_needed", "c.resettlement_needed", "boolean", "Cần tái định cư",
             queryable=True),
        Prop("complaint_open", "c.complaint_open", "boolean", "Đang khiếu nại",
             queryable=True),
        Prop("enforcement_stage", "c.enforcement_stage", "string", "Cưỡng chế"),
        Prop("handover_date", "c.handover_date", "date", "Ngày bàn giao"),
        Prop("next_deadline", "d.what", "string", "Hạn kế tiếp"),
        Prop("next_deadline_on", "d.due_on", "date", "Ngày hạn kế tiếp"),
        Prop("overdue", "COALESCE(d.due_on < CAST(%(today)s AS date), false)", "boolean",
             "Quá hạn", queryable=True),
        Prop("holder_count", "COALESCE(h.n, 0)", "integer", "Số người sử dụng đất"),
        Prop("holder_names", "h.names", "string", "Người sử dụng đất"),
        Prop("holder_citizen_ids", "h.citizen_ids", "string", "Số CCCD", personal=True),
        Prop("holder_phones", "h.phones", "string", "Số điện thoại", personal=True),
        Prop("updated_at", "c.updated_at", "date-time", "Cập nhật lúc"),
        Prop("version", "c.version", "integer", "Phiên bản"),
    ),
)

_ALIGNMENT_PROPS = (
    Prop("project_id", "a.project_id", "integer", "Mã số dự án", queryable=True),
    Prop("project_code", "pr.code", "string", "Mã dự án", queryable=True),
    Prop("code", "a.code", "string", "Mã tuyến", queryable=True),
    Prop("name", "a.name", "string", "Tên tuyến"),
    Prop("start_chainage_m", "a.start_chainage_m::float8", "number", "Lý trình đầu (m)"),
    Prop("row_width_m", "a.row_width_m::float8", "number", "Bề rộng chỉ giới (m)"),
    Prop("length_m", "round(ST_Length(a.centreline)::numeric, 2)::float8", "number",
         "Chiều dài tim tuyến (m)"),
)

ALIGNMENTS = Collection(
    id="alignments", title="Tim tuyến", table="alignments",
    description="Tim tuyến của các dự án (đường, có lý trình).",
    from_sql="alignments a JOIN projects pr ON pr.id = a.project_id",
    id_sql="a.id", id_type="integer", geom_sql="a.centreline", geometry_type="LineString",
    where_sql="a.centreline IS NOT NULL",
    scope_projects_sql="a.project_id" + _IN_PROJECTS,
    props=_ALIGNMENT_PROPS,
)

FOOTPRINTS = Collection(
    id="footprints", title="Phạm vi thu hồi", table="alignments",
    description="Phạm vi thu hồi đất của các dự án (đa giác).",
    from_sql="alignments a JOIN projects pr ON pr.id = a.project_id",
    id_sql="a.id", id_type="integer", geom_sql="a.footprint", geometry_type="MultiPolygon",
    scope_projects_sql="a.project_id" + _IN_PROJECTS, props=_ALIGNMENT_PROPS,
)

COMMUNES = Collection(
    id="communes", title="Xã, phường", table="communes",
    description="Đơn vị hành chính cấp xã (ranh giới có thể là gần đúng).",
    from_sql="communes m", id_sql="m.code", id_type="string", geom_sql="m.boundary",
    geometry_type="MultiPolygon", where_sql="m.boundary IS NOT NULL",
    scope_communes_sql="m.code" + _IN_COMMUNES,
    props=(
        Prop("code", "m.code", "string", "Mã xã", queryable=True),
        Prop("name", "m.name", "string", "Tên"),
        Prop("unit_type", "m.unit_type::text", "string", "Loại đơn vị", queryable=True,
             enum=("xa", "phuong")),
        Prop("official_area_km2", "m.official_area_km2::float8", "number",
             "Diện tích (km²)"),
        Prop("boundary_is_approximate", "m.boundary_is_approximate", "boolean",
             "Ranh giới gần đúng"),
    ),
)

PLOTS = Collection(
    id="resettlement-plots", title="Lô tái định cư", table="resettlement_plots",
    description="Lô đất trong các khu tái định cư, với tình trạng giao đất.",
    from_sql="resettlement_plots rp JOIN resettlement_areas ra ON ra.id = rp.area_id "
    "LEFT JOIN resettlement_allocations al ON al.plot_id = rp.id AND al.released_on IS NULL",
    id_sql="rp.id", id_type="integer", geom_sql="rp.geom", geometry_type="Polygon",
    scope_projects_sql="ra.project_id" + _IN_PROJECTS,
    scope_communes_sql="ra.commune_code" + _IN_COMMUNES,
    props=(
        Prop("area_id", "rp.area_id", "integer", "Mã số khu", queryable=True),
        Prop("area_code", "ra.code", "string", "Mã khu tái định cư", queryable=True),
        Prop("area_name", "ra.name", "string", "Tên khu"),
        Prop("project_id", "ra.project_id", "integer", "Mã số dự án", queryable=True),
        Prop("commune_code", "ra.commune_code", "string", "Mã xã", queryable=True),
        Prop("code", "rp.code", "string", "Mã lô", queryable=True),
        Prop("area_m2", "rp.area_m2::float8", "number", "Diện tích (m²)"),
        Prop("price_vnd", "rp.price_vnd", "vnd", "Giá (VNĐ)"),
        Prop("allocated", "al.id IS NOT NULL", "boolean", "Đã giao", queryable=True),
        Prop("allocated_case_id", "al.case_id", "integer", "Hồ sơ được giao"),
        Prop("allocated_on", "al.allocated_on", "date", "Ngày giao"),
    ),
)

COLLECTIONS: dict[str, Collection] = {
    c.id: c for c in (PARCELS, CASES, ALIGNMENTS, FOOTPRINTS, COMMUNES, PLOTS)}


def get_collection(collection_id: str) -> Collection | None:
    """The collection of that id, or None."""
    return COLLECTIONS.get(collection_id)


def scope_condition(collection: Collection, project_ids: Sequence[int] | None,
                    commune_codes: Sequence[str] | None) -> tuple[str, dict[str, object]]:
    """The SQL condition (and its parameters) keeping the rows a caller may read: of the
    projects ``project_ids`` (if limited) and in the communes ``commune_codes`` (if
    limited), as ``gis.access.scope.Scope`` decides for cases and parcels. ``None`` on an axis
    means no limit; an empty list means nothing.

    An axis a collection does not have (communes have no project, alignments no commune)
    does not filter it."""
    parts: list[str] = []
    params: dict[str, object] = {}
    if collection.scope_projects_sql is not None and project_ids is not None:
        parts.append(collection.scope_projects_sql)
        params["scope_projects"] = list(project_ids)
    if collection.scope_communes_sql is not None and commune_codes is not None:
        parts.append(collection.scope_communes_sql)
        params["scope_communes"] = list(commune_codes)
    if not parts:
        return "true", {}
    return "(" + " AND ".join(parts) + ")", params
