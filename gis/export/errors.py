"""Why an export is refused: each a specific machine code under ``InvalidInput`` (422 in
the one error table of ``api/errors.py``), with a Vietnamese message saying what to change."""

from __future__ import annotations

from gis.core.errors import InvalidInput


class UnknownFormat(InvalidInput):
    """The requested file format is not one GPMB writes."""

    code = "unknown_format"
    message_vi = "Định dạng xuất không được hỗ trợ. Chọn gpkg, shp, geojson, kml hoặc xlsx."


class BadCrs(InvalidInput):
    """The requested coordinate system is neither EPSG:9215 nor EPSG:4326."""

    code = "bad_crs"
    message_vi = ("Hệ toạ độ xuất không được hỗ trợ. Chọn EPSG:9215 (VN-2000 TM-3 107°15') "
                  "hoặc EPSG:4326 (WGS84).")


class UnknownProject(InvalidInput):
    """The project filter names no project."""

    code = "unknown_project"
    message_vi = "Không có dự án này."


class UnknownCommune(InvalidInput):
    """The commune filter names no commune of the province."""

    code = "unknown_commune"
    message_vi = "Không có xã/phường này."


class UnknownStep(InvalidInput):
    """The step filter names no step of the procedure."""

    code = "unknown_step"
    message_vi = "Bước GPMB không hợp lệ."


class UnknownLandUse(InvalidInput):
    """The land-use filter names no code of the 2024 list (nor a pre-2024 one)."""

    code = "unknown_land_use"
    message_vi = "Mã loại đất không có trong danh mục."


class ExportTooLarge(InvalidInput):
    """More features match than the format's limit."""

    code = "export_too_large"
    message_vi = "Quá nhiều đối tượng để xuất trong một tệp; hãy lọc bớt."
