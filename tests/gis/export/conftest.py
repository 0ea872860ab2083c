"""Export fixtures: parcels imported through the real pipeline, a second fresh database to
import exports into, and a read-only session on the demo."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core.settings import Settings
from gis.ingest import import_parcels
from tests.gis.ingest.helpers import parcel_frame, write
from tests.support import commune_at_test_point, reference_engine, rolled_back

SURVEY = "Đo đạc Bản Đông 2024"


@dataclass(frozen=True)
class Imported:
    """Parcels of one survey, written by GDAL and imported by ``import_parcels``."""

    commune: str
    survey: str
    count: int


def import_source(session: Session, folder: Path) -> Imported:
    """Two rows of 50 m squares (one pre-2024 land-use code, one parcel without address,
    Vietnamese names and addresses), off the 1 mm grid, imported as survey ``SURVEY``."""
    commune = commune_at_test_point(session)
    first = parcel_frame(commune, 449000.1234, 2417400.5678, n=6, sheet=7)
    second = parcel_frame(commune, 449000.1234, 2417450.5678, n=6, sheet=8,
                          DiaChi=["Khu Đồng Đăng, thôn Pò Mã"] * 5 + [None])
    frame = pd.concat([first, second], ignore_index=True)
    path = write(frame, folder / "nguon.gpkg")
    result = import_parcels(session, path, survey=SURVEY)
    assert result.write is not None and result.write.inserted == len(frame)
    return Imported(commune, SURVEY, len(frame))


@pytest.fixture
def imported(session: Session, tmp_path: Path) -> Imported:
    """The source parcels in the test database (rolled back after the test)."""
    return import_source(session, tmp_path / "src")


@pytest.fixture(scope="module")
def fresh_engine(make_database: Callable[[str], str], test_settings: Settings
                 ) -> Iterator[Engine]:
    """A second empty database (reference data only) to import exported files into."""
    eng = reference_engine(make_database("gpmb_export_fresh"), test_settings)
    yield eng
    eng.dispose()


@pytest.fixture
def fresh_session(fresh_engine: Engine) -> Iterator[Session]:
    """A session on the fresh database, rolled back after the test."""
    with rolled_back(fresh_engine) as s:
        yield s


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """A session on the demo database; nothing it does is kept."""
    with demo_engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn) as s:
            yield s
        trans.rollback()
