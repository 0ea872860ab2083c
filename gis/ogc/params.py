"""Small pure parsers for OGC API – Features query parameters: CRS URIs, bbox, datetime,
limit and the paging cursor. Each raises ``InvalidQuery`` (HTTP 400) with the parameter's
name and a Vietnamese message saying what a valid value looks like."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from gis.core.crs import STORAGE_SRID, WEB_MERCATOR_SRID, WGS84_SRID
from gis.core.errors import InvalidQuery

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{srid}"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_ID = 9_223_372_036_854_775_807
NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?"
BBOX_PATTERN = rf"^{NUMBER}(?:,{NUMBER}){{3}}(?:,{NUMBER},{NUMBER})?$"
"""What the API definition says a bbox looks like; the parser accepts exactly that."""


@dataclass(frozen=True)
class OutputCrs:
    """A CRS the API serves: its URI, SRID, axis order and coordinate precision."""

    uri: str
    srid: int
    lat_first: bool  # EPSG:4326 is latitude, longitude (OGC API – Features Part 2)
    decimals: int  # 7 for degrees (~1 cm), 3 for metres (1 mm)

    @property
    def geographic(self) -> bool:
        """True for a CRS in degrees."""
        return self.srid == WGS84_SRID


SUPPORTED_CRS: tuple[OutputCrs, ...] = (
    OutputCrs(CRS84, WGS84_SRID, False, 7),
    OutputCrs(EPSG_URI.format(srid=STORAGE_SRID), STORAGE_SRID, False, 3),
    OutputCrs(EPSG_URI.format(srid=WGS84_SRID), WGS84_SRID, True, 7),
    OutputCrs(EPSG_URI.format(srid=WEB_MERCATOR_SRID), WEB_MERCATOR_SRID, False, 3),
)
STORAGE_CRS = SUPPORTED_CRS[1]
_BY_URI = {c.uri: c for c in SUPPORTED_CRS}
# Short spellings clients use; the answer always names the URI.
_ALIASES = {"CRS84": CRS84, "OGC:CRS84": CRS84, "[OGC:CRS84]": CRS84,
            **{f"EPSG:{c.srid}": c.uri for c in SUPPORTED_CRS if "EPSG" in c.uri},
            **{f"[EPSG:{c.srid}]": c.uri for c in SUPPORTED_CRS if "EPSG" in c.uri}}


def parse_crs(value: str | None, name: str = "crs") -> OutputCrs:
    """The CRS a ``crs`` / ``bbox-crs`` value names (CRS84 when absent)."""
    if value is None:
        return SUPPORTED_CRS[0]
    key = value.strip()
    found = _BY_URI.get(_ALIASES.get(key, key).rstrip("/"))
    if found is None:
        uris = ", ".join(c.uri for c in SUPPORTED_CRS)
        raise InvalidQuery(f"unsupported {name} {value!r}", parameter=name,
                           message_vi=f"Hệ tọa độ '{value[:80]}' không được hỗ trợ ({name}). "
                           f"Dùng một trong: {uris}.")
    return found


def parse_bbox(value: str | None, crs: OutputCrs) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in ``crs``'s own axis order, returned as x (east), y (north)."""
    if value is None:
        return None
    numbers = [float(p) for p in value.split(",")] if re.fullmatch(BBOX_PATTERN, value) else []
    if len(numbers) == 6:  # 3D box: drop the heights
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidQuery(f"bad bbox {value!r}", parameter="bbox",
                           message_vi="bbox phải gồm 4 số cách nhau bởi dấu phẩy: "
                           "minx,miny,maxx,maxy (ví dụ 106.7,21.8,106.8,21.9).")
    if crs.lat_first:
        numbers = [numbers[1], numbers[0], numbers[3], numbers[2]]
    x1, y1, x2, y2 = numbers
    if y1 > y2 or (x1 > x2 and not crs.geographic):
        raise InvalidQuery(f"bbox corners out of order {value!r}", parameter="bbox",
                           message_vi="bbox: góc dưới trái phải đứng trước góc trên phải "
                           "(minx ≤ maxx, miny ≤ maxy).")
    if crs.geographic and (x1 > x2 or not (-180 <= x1 <= 180 and -180 <= x2 <= 180
                                           and -90 <= y1 <= 90 and -90 <= y2 <= 90)):
        raise InvalidQuery(f"bbox outside the globe {value!r}", parameter="bbox",
                           message_vi="bbox theo độ: kinh độ trong [-180, 180], vĩ độ trong "
                           "[-90, 90], và minx ≤ maxx.")
    return x1, y1, x2, y2


def parse_limit(value: str | None) -> int:
    """Page size: 1..1000, 100 when absent."""
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"\d{1,7}", value.strip()) or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidQuery(f"bad limit {value!r}", parameter="limit",
                           message_vi=f"limit phải là số nguyên từ 1 đến {MAX_LIMIT}.")
    return int(value)


def parse_cursor(value: str | None, name: str) -> int | None:
    """The keyset cursor of ``after`` / ``before``: a feature id (non-negative integer)."""
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,19}", value.strip()) or int(value) > MAX_ID:
        raise InvalidQuery(f"bad {name} {value!r}", parameter=name,
                           message_vi=f"{name} phải là mã đối tượng (số nguyên không âm); "
                           "hãy dùng liên kết next/prev của trang trước.")
    return int(value)


Interval = tuple[dt.datetime | None, dt.datetime | None]


def _instant(text: str, *, end: bool) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(), dt.UTC)
            return start + dt.timedelta(days=1, microseconds=-1) if end else start
        stamp = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None or "T" not in text.upper():
        raise InvalidQuery(f"bad datetime {text!r}", parameter="datetime",
                           message_vi="datetime phải theo RFC 3339, ví dụ 2025-03-05, "
                           "2025-03-05T08:00:00Z, hoặc khoảng 2025-01-01/2025-03-31, "
                           "../2025-03-31.")
    return stamp


def parse_datetime(value: str | None) -> Interval | None:
    """An RFC 3339 instant, date, or interval (``a/b``, ``../b``, ``a/..``)."""
    if value is None:
        return None
    text = value.strip()
    if "/" not in text:
        start = _instant(text, end=False)
        if start is None:
            return None
        return start, (_instant(text, end=True) if len(text) == 10 else start)
    first, _, last = text.partition("/")
    if "/" in last or (first in ("", "..") and last in ("", "..")):
        raise InvalidQuery(f"bad interval {value!r}", parameter="datetime",
                           message_vi="datetime: khoảng phải có dạng đầu/cuối với ít nhất "
                           "một đầu xác định, ví dụ 2025-01-01/.. .")
    start, stop = _instant(first, end=False), _instant(last, end=True)
    if start is not None and stop is not None and start > stop:
        raise InvalidQuery(f"interval ends before it starts {value!r}", parameter="datetime",
                           message_vi="datetime: thời điểm đầu phải trước thời điểm cuối.")
    return start, stop
