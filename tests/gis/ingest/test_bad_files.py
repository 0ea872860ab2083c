"""The bad-file corpus: each file is refused with its own error code and a Vietnamese
message saying what to do, and nothing at all is written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.ingest import ValidationReport, import_parcels
from tests.gis.ingest.badfiles import CORPUS, BadFile
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import count

TABLES = ("parcels", "surveys", "audit_log", "clearance_cases", "land_users")


def outcome(exc: ImportRejected) -> tuple[set[str], str]:
    """The codes an import refusal gives (its own, or its report's blocking problems) and
    all its Vietnamese text."""
    codes = {str(exc.extra["code_detail"])} if "code_detail" in exc.extra else set()
    text = exc.message_vi
    report = exc.extra.get("report")
    if isinstance(report, ValidationReport):
        codes |= {p.code for p in report.errors}
        text += " ".join(p.message_vi for p in report.errors)
    return codes, text


def counts(session: Session) -> dict[str, int]:
    return {t: count(session, f"SELECT count(*) FROM {t}") for t in TABLES}


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 20
    assert len({b.name for b in CORPUS}) == len(CORPUS)
    assert len({b.code for b in CORPUS}) >= 25


@pytest.mark.parametrize("bad", CORPUS, ids=[b.name for b in CORPUS])
def test_bad_file_is_refused_with_its_code(session: Session, spot: Spot, tmp_path: Path,
                                           bad: BadFile) -> None:
    path = bad.build(spot, tmp_path)
    before = counts(session)
    started = time.perf_counter()
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path, survey="hong")
    elapsed = time.perf_counter() - started
    codes, text = outcome(err.value)
    assert bad.code in codes, (codes, text)
    assert bad.words.lower() in text.lower(), text
    assert any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
    assert counts(session) == before
    assert elapsed < 20, f"{bad.name} took {elapsed:.1f} s"


def test_zip_bomb_is_refused_before_unpacking(spot: Spot, tmp_path: Path) -> None:
    from gis.ingest.guards import inspect_zip
    from tests.gis.ingest.badfiles import zip_bomb

    path = zip_bomb(spot, tmp_path)
    assert path.stat().st_size < 5 * 1024**2
    started = time.perf_counter()
    with pytest.raises(ImportRejected) as err:
        inspect_zip(path)
    assert time.perf_counter() - started < 1.0  # only the central directory was read
    assert err.value.extra["declared_bytes"] == 32 * 64 * 1024**2
    assert list(tmp_path.glob("**/*.dbf")) == []


def test_layer_choice_names_the_layers_and_a_choice_reads(session: Session, spot: Spot,
                                                          tmp_path: Path) -> None:
    from tests.gis.ingest.badfiles import two_layers

    path = two_layers(spot, tmp_path)
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path, survey="hai-lop", dry_run=True)
    assert sorted(err.value.extra["layers"]) == ["thua_cu", "thua_dat"]
    result = import_parcels(session, path, survey="hai-lop", layer="thua_dat", dry_run=True)
    assert result.write is not None and result.write.inserted == 6
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path, layer="khong-co")
    assert err.value.extra["code_detail"] == "layer_missing"


def test_large_truncated_geojson_is_caught_by_its_tail(spot: Spot, tmp_path: Path) -> None:
    from gis.ingest import guards

    big = tmp_path / "lon.geojson"
    feature = '{"type":"Feature","properties":{"SoThua":NUM},"geometry":null}'
    features = ",".join(feature.replace("NUM", str(i)) for i in range(150_000))
    text = '{"type":"FeatureCollection","features":[' + features + "]}"
    assert len(text) > guards.MAX_JSON_CHECK_BYTES
    big.write_text(text[: len(text) - 1000])
    with pytest.raises(ImportRejected) as err:
        guards.check_file(big)
    assert err.value.extra["code_detail"] == "geojson_invalid"
    assert "bị cắt cụt" in err.value.message_vi
    big.write_text(text)
    guards.check_file(big)  # a whole file passes (GDAL reads it afterwards)


def test_a_zip_made_on_a_mac_is_not_bad(session: Session, spot: Spot, tmp_path: Path) -> None:
    """macOS adds __MACOSX/._name resource forks to zips: they are not second datasets."""
    import zipfile

    from tests.gis.ingest.helpers import parcel_frame, write

    shp = write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "mac" / "thua.shp")
    path = tmp_path / "mac.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, f"thua/{part.name}")
            zf.writestr(f"__MACOSX/thua/._{part.name}", b"\x00\x05\x16\x07" + bytes(80))
    result = import_parcels(session, path, survey="mac", dry_run=True)
    assert result.write is not None and result.write.inserted == 6
