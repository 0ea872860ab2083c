"""PostGIS on the server: presence, versions and the EPSG:9215 registration."""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis.core.crs import STORAGE_SRID, VN2000_TM3_107_15_PROJ4, vn2000_srtext
from gis.core.errors import PostgisMissing


def ensure_postgis(conn: Connection) -> None:
    """Create the PostGIS extension, or explain precisely how to get it."""
    available = conn.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).first()
    if available is None:
        raise PostgisMissing(
            "The PostgreSQL server has no 'postgis' extension. Install it on the server "
            "(Debian: apt-get install postgresql-15-postgis-3, matching the server's major "
            "version), then run `gpmb db migrate` again.",
            message_vi="Máy chủ PostgreSQL chưa có phần mở rộng 'postgis'. "
            "Cài gói postgresql-<phiên bản>-postgis-3 rồi chạy lại `gpmb db migrate`.",
        )
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))


def register_storage_crs(conn: Connection) -> None:
    """Register VN-2000 / TM-3 107-15 in spatial_ref_sys (PostGIS 3.3 lacks it)."""
    conn.execute(
        text(
            "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
            "VALUES (:srid, 'EPSG', :srid, :srtext, :proj4) "
            "ON CONFLICT (srid) DO UPDATE SET srtext = EXCLUDED.srtext, "
            "proj4text = EXCLUDED.proj4text"
        ),
        {"srid": STORAGE_SRID, "srtext": vn2000_srtext(), "proj4": VN2000_TM3_107_15_PROJ4},
    )


def unregister_storage_crs(conn: Connection) -> None:
    """Remove the EPSG:9215 row added by :func:`register_storage_crs`."""
    conn.execute(
        text("DELETE FROM spatial_ref_sys WHERE srid = :srid AND proj4text = :proj4"),
        {"srid": STORAGE_SRID, "proj4": VN2000_TM3_107_15_PROJ4},
    )


def server_versions(conn: Connection) -> dict[str, str]:
    """PostgreSQL and PostGIS versions as the server reports them."""
    pg = conn.execute(text("SHOW server_version")).scalar_one()
    installed = conn.execute(
        text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
    ).scalar()
    lib = conn.execute(text("SELECT postgis_lib_version()")).scalar() if installed else None
    return {"postgresql": str(pg), "postgis": str(lib) if lib else "missing"}
