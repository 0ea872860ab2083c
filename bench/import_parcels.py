"""Benchmark: `import_parcels` (read GeoPackage + validation + write) and `overlay_project`
against a bare COPY of the same rows into PostGIS, in the same run, on a throwaway cluster.

    python bench/import_parcels.py                    # 100,000 parcels, 3 runs, medians
    python bench/import_parcels.py --parcels 20000 --runs 1

Issue 3 asks for ≤ 60 s and ≤ 3× the bare COPY, memory < 2 GiB. Prints both medians, their
ratio and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import shapely
from pyproj import CRS
from sqlalchemy import text

from gis.core.crs import STORAGE_SRID
from gis.core.settings import Settings
from gis.db import migrate
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory
from gis.db.seed import seed_reference
from gis.demo.corridor import expressway_alignments
from gis.demo.parcels import generate_parcels
from gis.ingest import import_parcels, overlay_project
from gis.ingest.writer import _copy


def _surveyor_file(n: int, seed: int, path: Path) -> pd.DataFrame:
    """Write the demo cadastre as a surveyor would deliver it; return the rows for COPY."""
    gdf = generate_parcels(n, seed)
    out = gpd.GeoDataFrame({
        "MaXa": gdf["commune_code"], "MaXaTo": gdf["sheet_commune_code"],
        "SoTo": gdf["sheet_no"], "SoThua": gdf["parcel_no"],
        "DienTich": gdf["legal_area_m2"], "LoaiDat": gdf["land_use_code_source"],
    }, geometry=shapely.from_wkb(shapely.to_wkb(gdf.geometry.values)),
        crs=CRS.from_epsg(STORAGE_SRID))
    pyogrio.write_dataframe(out, path, layer="thua_dat")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = np.where(shapely.get_type_id(geoms) == 3,
                     shapely.multipolygons(geoms.reshape(-1, 1)), geoms)
    return pd.DataFrame({
        "survey_id": 1, "commune_code": gdf["commune_code"],
        "sheet_commune_code": gdf["sheet_commune_code"], "sheet_no": gdf["sheet_no"],
        "parcel_no": gdf["parcel_no"], "land_use_code": gdf["land_use_code"],
        "land_use_code_source": gdf["land_use_code_source"],
        "legal_area_m2": gdf["legal_area_m2"].round(1),
        "geom": shapely.to_wkb(shapely.set_srid(geoms, STORAGE_SRID), hex=True,
                               include_srid=True),
    })


def _template(cluster: EmbeddedCluster, port: int, settings: Settings) -> str:
    """A migrated, seeded database with the expressway project, used as template."""
    with psycopg.connect(cluster.admin_dsn(port, "postgres"), autocommit=True) as c:
        c.execute('CREATE DATABASE "bench_tpl"')
    url = cluster.url(port).rsplit("/", 1)[0] + "/bench_tpl"
    engine = make_engine(url, settings)
    migrate.upgrade(engine)
    with session_factory(engine).begin() as s:
        seed_reference(s)
        pid = s.execute(text(
            "INSERT INTO projects (code, name, investment_form, owner) VALUES ('CT-HNCL',"
            " 'Cao tốc Hữu Nghị – Chi Lăng', 'ppp_bot', 'Nhà đầu tư') RETURNING id")).scalar()
        s.execute(text("INSERT INTO surveys (name) VALUES ('copy')"))
        for a in expressway_alignments():
            s.execute(text(
                "INSERT INTO alignments (project_id, code, name, centreline, start_chainage_m,"
                " row_width_m, footprint) VALUES (:p, :c, :n, ST_GeomFromText(:l, 9215), :s,"
                " :w, ST_Multi(ST_GeomFromText(:f, 9215)))"),
                {"p": pid, "c": a.code, "n": a.name, "l": a.centreline.wkt,
                 "s": a.start_chainage_m, "w": a.row_width_m, "f": a.footprint.wkt})
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250331)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="gpmb-bench-import-"))
    base.chmod(0o755)
    cluster = EmbeddedCluster(base / "pg", preferred_port=free_port(0), durable=True)
    cluster.init()
    port = cluster.start()
    settings = Settings(environment="test", data_dir=base)
    try:
        started = time.perf_counter()
        gpkg = base / "thua_dat.gpkg"
        rows = _surveyor_file(args.parcels, args.seed, gpkg)
        print(f"generated {len(rows):,} parcels and wrote {gpkg.stat().st_size / 2**20:.0f} MiB"
              f" GeoPackage in {time.perf_counter() - started:.1f} s")
        _template(cluster, port, settings)
        imports: list[float] = []
        overlays: list[float] = []
        copies: list[float] = []
        for run in range(args.runs):
            for kind in ("copy", "import"):
                name = f"bench_{kind}_{run}"
                with psycopg.connect(cluster.admin_dsn(port, "postgres"), autocommit=True) as c:
                    c.execute(f'CREATE DATABASE "{name}" TEMPLATE "bench_tpl"')
                engine = make_engine(cluster.url(port).rsplit("/", 1)[0] + f"/{name}", settings)
                t0 = time.perf_counter()
                with session_factory(engine).begin() as s:
                    if kind == "copy":
                        _copy(s, "parcels", rows)
                    else:
                        result = import_parcels(s, gpkg, survey="bench", actor="bench")
                        t1 = time.perf_counter()
                        ov = overlay_project(s, "CT-HNCL", actor="bench")
                t2 = time.perf_counter()
                if kind == "copy":
                    copies.append(t2 - t0)
                else:
                    imports.append(t2 - t0)
                    overlays.append(t2 - t1)
                    w = result.write
                    assert w is not None
                    print(f"run {run + 1}: import+overlay {t2 - t0:.1f} s (overlay "
                          f"{t2 - t1:.1f} s): {w.inserted:,} parcels, "
                          f"{len(result.report.problems):,} notes, {ov.created:,} cases; "
                          f"bare COPY {copies[-1]:.1f} s")
                engine.dispose()
        imp, cop = statistics.median(imports), statistics.median(copies)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.parcels:,} parcels, {args.runs} run(s): import with validation + overlay "
              f"median {imp:.1f} s (overlay {statistics.median(overlays):.1f} s); bare COPY "
              f"median {cop:.1f} s; ratio {imp / cop:.2f}×; peak RSS {peak_mib:,.0f} MiB")
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
