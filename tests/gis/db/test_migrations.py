"""Alembic migrations up and down on a real PostGIS, and ORM ↔ schema agreement."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from gis.core.settings import Settings
from gis.db import migrate
from gis.db.engine import make_engine
from gis.models import Base


@pytest.fixture
def scratch_engine(make_database: Callable[[str], str], test_settings: Settings
                   ) -> Iterator[Engine]:
    eng = make_engine(make_database("gpmb_migrations"), test_settings)
    yield eng
    eng.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_up_down_up(scratch_engine: Engine) -> None:
    migrate.upgrade(scratch_engine)
    assert migrate.current_revision(scratch_engine) == migrate.head_revision()
    assert _tables(scratch_engine) == set(Base.metadata.tables)
    with scratch_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM land_use_types")).scalar_one() >= 40
        assert conn.execute(text("SELECT count(*) FROM spatial_ref_sys WHERE srid = 9215")
                            ).scalar_one() == 1

    migrate.downgrade(scratch_engine, "base")
    assert migrate.current_revision(scratch_engine) is None
    assert _tables(scratch_engine) == set()
    with scratch_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_type WHERE typname = 'case_step'")
                            ).scalar_one() == 0

    migrate.upgrade(scratch_engine)
    assert _tables(scratch_engine) == set(Base.metadata.tables)


def test_orm_matches_schema(engine: Engine) -> None:
    """The typed models describe exactly the columns the migrations create."""

    def include(obj: object, name: str | None, type_: str, reflected: bool,
                compare_to: object) -> bool:
        return type_ in {"table", "column"} and name not in {"spatial_ref_sys"}

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_object": include, "compare_type": True, "compare_server_default": False})
        diffs = compare_metadata(ctx, Base.metadata)
    assert diffs == []


def test_every_geometry_has_a_gist_index(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(text(
            """
            SELECT g.f_table_name, g.f_geometry_column, g.srid
            FROM geometry_columns g
            WHERE g.f_table_schema = 'public' AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_am am ON am.oid = c.relam AND am.amname = 'gist'
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = (quote_ident(g.f_table_name))::regclass
                  AND a.attname = g.f_geometry_column)
            """)).all()
        srids = set(conn.execute(text(
            "SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = 'public'"
        )).scalars())
    assert rows == []
    assert srids == {9215}
