"""Which CRS a file is in: from the file itself, or recognised from coordinate ranges and
then confirmed by the user (``--crs``) — never guessed silently."""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import CRS, Transformer

from gis.core.crs import STORAGE_SRID, VN2000_UTM48N_SRID, WGS84_SRID, vn2000_tm3_107_15
from gis.core.errors import ImportRejected, InvalidInput
from gis.core.formats import Term

# Lạng Sơn (with a margin), longitude/latitude
PROVINCE_LONLAT = (105.9, 21.2, 107.5, 22.6)


@dataclass(frozen=True)
class Candidate:
    """A CRS the coordinates look like, and whether they then fall in Lạng Sơn."""

    srid: int
    label_vi: str
    in_province: bool

    @property
    def flag(self) -> str:
        """The CLI flag that confirms it."""
        return f"--crs EPSG:{self.srid}"


_LABELS = {
    STORAGE_SRID: "VN-2000 / TM-3 kinh tuyến trục 107°15' (EPSG:9215)",
    VN2000_UTM48N_SRID: "VN-2000 / UTM múi 48N (EPSG:3405)",
    WGS84_SRID: "WGS 84 kinh độ/vĩ độ (EPSG:4326)",
}


def crs_label(crs: CRS) -> str:
    """A CRS by a name people know: GPMB's own EPSG:9215 definition (a PROJ string PROJ
    calls "unknown") by its label, others by their name or EPSG code."""
    if crs.equals(vn2000_tm3_107_15(), ignore_axis_order=True):
        return _LABELS[STORAGE_SRID]
    if crs.name and crs.name != "unknown":
        return str(crs.name)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()[:120]


def parse_crs(value: str) -> CRS:
    """Parse ``EPSG:9215``/``9215``/a PROJ or WKT string; EPSG:9215 uses GPMB's definition."""
    text = value.strip()
    code = text.upper().removeprefix("EPSG:")
    try:
        if code.isdigit():
            return vn2000_tm3_107_15() if int(code) == STORAGE_SRID else CRS.from_epsg(int(code))
        return CRS.from_user_input(text)
    except Exception as exc:  # pyproj raises CRSError and friends
        raise InvalidInput(
            f"unknown CRS {value!r}: {exc}",
            message_vi="Không nhận ra hệ toạ độ '{value}'. Ví dụ: EPSG:9215.",
            params={"value": str(value)},
        ) from exc


def _in_province(srid: int, x: float, y: float) -> bool:
    src = vn2000_tm3_107_15() if srid == STORAGE_SRID else CRS.from_epsg(srid)
    lon, lat = Transformer.from_crs(src, CRS.from_epsg(WGS84_SRID), always_xy=True).transform(x, y)
    x0, y0, x1, y1 = PROVINCE_LONLAT
    return bool(x0 <= lon <= x1 and y0 <= lat <= y1)


def candidates(bounds: tuple[float, float, float, float]) -> list[Candidate]:
    """CRSs whose usual coordinate ranges contain ``bounds`` (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    found: list[Candidate] = []
    if minx >= 100 and maxx <= 112 and miny >= 7 and maxy <= 24:
        found.append(Candidate(WGS84_SRID, _LABELS[WGS84_SRID], _in_province(WGS84_SRID, cx, cy)))
    if miny >= 2_300_000 and maxy <= 2_600_000 and minx >= 150_000 and maxx <= 900_000:
        for srid in (STORAGE_SRID, VN2000_UTM48N_SRID):
            inside = _in_province(srid, cx, cy)
            if inside or (srid == STORAGE_SRID and minx >= 300_000 and maxx <= 700_000):
                found.append(Candidate(srid, _LABELS[srid], inside))
    found.sort(key=lambda c: not c.in_province)
    return found


def swapped_lonlat(bounds: tuple[float, float, float, float]) -> bool:
    """Latitude/longitude given in x/y order reversed (a common spreadsheet mistake)."""
    minx, miny, maxx, maxy = bounds
    return minx >= 7 and maxx <= 24 and miny >= 100 and maxy <= 112


def require_crs(file_crs: CRS | None, assume: str | None,
                bounds: tuple[float, float, float, float]) -> CRS:
    """The CRS to read the file in: the file's own, else the confirmed ``assume``.

    Without either, reject, naming the recognised candidate and the flag to pass.
    """
    if file_crs is not None:
        if assume is not None and not file_crs.equals(parse_crs(assume), ignore_axis_order=True):
            raise ImportRejected(
                f"file CRS {file_crs.to_string()} differs from --crs {assume}",
                message_vi=("Tệp đã khai báo hệ toạ độ {declared}, khác với --crs {assumed}."
                            " Bỏ --crs nếu tệp khai báo đúng, hoặc sửa tệp .prj."),
                params={"declared": file_crs.name, "assumed": str(assume)},
            )
        return file_crs
    if assume is not None:
        return parse_crs(assume)
    if swapped_lonlat(bounds):
        raise ImportRejected(
            "coordinates look like latitude/longitude in swapped order",
            message_vi=("Toạ độ có vẻ là vĩ độ/kinh độ bị đảo thứ tự (x phải là kinh độ). "
                        "Đổi lại thứ tự cột toạ độ rồi nhập lại."),
            code_detail="crs_swapped",
        )
    found = candidates(bounds)
    if not found:
        raise ImportRejected(
            f"no CRS in the file and coordinates {bounds} match no known system",
            message_vi=("Tệp không khai báo hệ toạ độ và toạ độ không khớp với VN-2000 TM-3, "
                        "UTM 48N hay WGS 84. Bổ sung tệp .prj hoặc chạy lại với --crs EPSG:xxxx."),
            code_detail="crs_unknown",
        )
    best = found[0]
    raise ImportRejected(
        f"no CRS in the file; coordinates look like EPSG:{best.srid}; confirm with {best.flag}",
        message_vi=("Tệp không khai báo hệ toạ độ. Toạ độ trông giống {crs}. Kiểm tra lại rồi "
                    "xác nhận bằng {flag}." if best.in_province else "Tệp không khai báo hệ "
                    "toạ độ. Toạ độ trông giống {crs} nhưng nằm ngoài tỉnh Lạng Sơn. Kiểm tra "
                    "lại rồi xác nhận bằng {flag}."),
        params={"crs": Term(best.label_vi), "flag": best.flag},
        code_detail="crs_missing", candidate=f"EPSG:{best.srid}",
    )
