"""Ingest fixtures: a commune of the seeded test database and a spot inside it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Spot:
    """A commune code and a point well inside it (EPSG:9215)."""

    commune: str
    x: float
    y: float


@pytest.fixture
def spot(session: Session) -> Spot:
    """The commune holding the design's test point (E 449262, N 2417472), and that point."""
    code = session.execute(text(
        "SELECT code FROM communes WHERE ST_Contains(boundary,"
        " ST_SetSRID(ST_MakePoint(449262.451, 2417472.355), 9215))")).scalar_one()
    return Spot(str(code), 449000.0, 2417400.0)
