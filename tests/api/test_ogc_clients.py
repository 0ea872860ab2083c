"""Real OGC clients against a real ``gpmb serve``: GDAL's OAPIF driver (through pyogrio),
OWSLib's Features client, and the ``ogctests`` conformance suite, each sending the bearer
token the way its users would (GDAL: ``GDAL_HTTP_AUTH=BEARER`` + ``GDAL_HTTP_BEARER``; the
OAPIF driver sets its own ``Accept`` header, which overrides ``GDAL_HTTP_HEADERS``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
import shapely
from owslib.ogcapi.features import Features

from gis.ogc.collections import COLLECTIONS
from tests.api.conftest import ApiWorld

EPSG_9215 = "http://www.opengis.net/def/crs/EPSG/0/9215"
OGCTESTS_PYTHON = Path(__file__).resolve().parents[2] / ".venv-ogctests" / "bin" / "python"


@pytest.fixture
def gdal_token(world: ApiWorld) -> Iterator[None]:
    """GDAL sends the leader's token on every request, as the docs tell QGIS users."""
    options = {"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": world.tokens["leader"],
               "GDAL_HTTP_TIMEOUT": "60"}
    pyogrio.set_gdal_config_options(options)
    yield
    pyogrio.set_gdal_config_options(dict.fromkeys(options))


def _count(world: ApiWorld, collection: str) -> int:
    c = COLLECTIONS[collection]
    n = world.scalar(f"SELECT count(*) FROM {c.from_sql} WHERE {c.where_sql}")
    assert isinstance(n, int) and n > 0
    return n


def test_gdal_lists_and_reads_every_collection(
        api_server: str, world: ApiWorld, gdal_token: None) -> None:
    source = f"OAPIF:{api_server}/ogc"
    layers = [name for name, _ in pyogrio.list_layers(source)]
    assert sorted(layers) == sorted(COLLECTIONS)
    for name in COLLECTIONS:
        frame = pyogrio.read_dataframe(source, layer=name, PAGE_SIZE="50")
        assert len(frame) == _count(world, name), name
        assert frame.geometry.notna().all() and frame.geometry.is_valid.all()
        assert frame.crs is not None and frame.crs.to_epsg() == 9215, name  # storageCrs


def test_gdal_pages_with_next_links(api_server: str, world: ApiWorld, gdal_token: None
                                    ) -> None:
    frame = pyogrio.read_dataframe(f"OAPIF:{api_server}/ogc", layer="parcels",
                                   PAGE_SIZE="37", fid_as_index=True)
    assert len(frame) == _count(world, "parcels")
    assert frame["commune_code"].notna().all()
    assert frame.index.is_unique and frame.index.is_monotonic_increasing


def test_gdal_bbox_filter(api_server: str, world: ApiWorld, gdal_token: None) -> None:
    x, y = world.scalar("SELECT ARRAY[ST_X(c), ST_Y(c)] FROM (SELECT ST_Centroid(geom) c "
                        "FROM parcels ORDER BY id LIMIT 1) s")  # type: ignore[misc]
    box = (x - 300, y - 300, x + 300, y + 300)
    expected = world.scalar("SELECT count(*) FROM parcels WHERE ST_Intersects(geom, "
                            "ST_MakeEnvelope(:a, :b, :c, :d, 9215))", a=box[0], b=box[1],
                            c=box[2], d=box[3])
    frame = pyogrio.read_dataframe(f"OAPIF:{api_server}/ogc", layer="parcels", bbox=box)
    assert isinstance(expected, int) and 0 < len(frame) <= _count(world, "parcels")
    # GDAL filters its own rectangle exactly: the same parcels as the database finds
    assert len(frame) == expected


def test_gdal_epsg_9215_equals_the_database_to_a_millimetre(
        api_server: str, world: ApiWorld, gdal_token: None) -> None:
    frame = pyogrio.read_dataframe(f"OAPIF:{api_server}/ogc", layer="parcels",
                                   CRS=EPSG_9215, fid_as_index=True, PAGE_SIZE="1000")
    assert frame.crs.to_epsg() == 9215
    with world.engine.connect() as conn:
        from sqlalchemy import text

        stored = dict(conn.execute(text("SELECT id, ST_AsBinary(geom) FROM parcels")).all())
    assert len(stored) == len(frame)
    worst = 0.0
    for fid, geom in zip(frame.index, frame.geometry, strict=True):
        db = shapely.from_wkb(bytes(stored[int(fid)]))
        worst = max(worst, shapely.hausdorff_distance(geom, db))
    assert worst <= 0.001


def test_gdal_reads_money_exactly(api_server: str, world: ApiWorld, gdal_token: None) -> None:
    """A parcel's compensation is often several billion VND, past a 32-bit integer. GDAL
    makes every schema "integer" a 32-bit field (and overflows silently), so money is
    declared an integral number: GDAL reads a double, exact for every amount."""
    biggest = world.scalar("SELECT max(approved_total_vnd) FROM clearance_cases")
    assert isinstance(biggest, int) and biggest > 2**31  # the demo has such cases
    frame = pyogrio.read_dataframe(f"OAPIF:{api_server}/ogc", layer="clearance-cases",
                                   PAGE_SIZE="1000", fid_as_index=True)
    money = [c for c in frame.columns if c.endswith("_vnd")]
    assert len(money) == 7 and all(str(frame[c].dtype) != "int32" for c in money), \
        {c: str(frame[c].dtype) for c in money}
    with world.engine.connect() as conn:
        from sqlalchemy import text

        stored = {int(r[0]): r[1:] for r in conn.execute(text(
            f"SELECT id, {', '.join(money)} FROM clearance_cases")).all()}
    assert len(stored) == len(frame)
    for fid, row in frame[money].iterrows():
        want = stored[int(fid)]
        got = tuple(None if v != v else v for v in row)  # NaN: a missing amount
        assert got == want, (fid, got, want)


def test_owslib_features_client(api_server: str, world: ApiWorld) -> None:
    api = Features(f"{api_server}/ogc", headers=world.auth("staff"))
    assert "parcels" in [c["id"] for c in api.collections()["collections"]]
    assert api.conformance()["conformsTo"]
    meta = api.collection("clearance-cases")
    assert meta["storageCrs"] == EPSG_9215
    step = world.scalar("SELECT step::text FROM clearance_cases GROUP BY step "
                        "ORDER BY count(*) DESC LIMIT 1")
    page = api.collection_items("clearance-cases", limit=5, step=step)
    assert page["numberReturned"] == len(page["features"]) == 5
    assert all(f["properties"]["step"] == step for f in page["features"])
    queryables = api.collection_queryables("clearance-cases")
    assert "overdue" in queryables["properties"]
    one = api.collection_item("parcels", str(page["features"][0]["properties"]["parcel_id"]))
    assert one["id"] == page["features"][0]["properties"]["parcel_id"]


def test_ogctests_features_core(api_server: str, world: ApiWorld, tmp_path: Path) -> None:
    if not OGCTESTS_PYTHON.exists():
        pytest.fail("ogctests is not installed: run scripts/bootstrap.sh --test "
                    "(it makes .venv-ogctests)")
    runner = tmp_path / "run_ogctests.py"
    runner.write_text(
        "import sys, httpx\n"
        "from ogctests.main import run_ogctests\n"
        "client = httpx.Client(base_url=sys.argv[1], headers={'Authorization': "
        "'Bearer ' + sys.argv[2]}, timeout=60)\n"
        "sys.exit(run_ogctests('features/core', sys.argv[1], ['-q', '-p', 'no:cacheprovider',"
        " '-c', sys.argv[4], '--junitxml', sys.argv[3]], client))\n")
    ini = tmp_path / "pytest.ini"  # not this project's pytest settings (it lives inside it)
    ini.write_text("[pytest]\n")
    report = tmp_path / "ogctests.xml"
    done = subprocess.run([str(OGCTESTS_PYTHON), str(runner), f"{api_server}/ogc",
                           world.tokens["leader"], str(report), str(ini)], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    print(done.stdout[-6000:], done.stderr[-3000:], file=sys.stderr)
    assert done.returncode == 0, done.stdout[-6000:]
    assert "passed" in done.stdout
