"""The demo as loaded into PostGIS: deterministic, a clean tiling, consistent histories."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text

from gis.core.settings import Settings
from gis.db import migrate
from gis.db.engine import make_engine, session_factory
from gis.db.seed import seed_reference
from gis.demo.load import load_demo
from tests.conftest import DEMO_PARCELS, DEMO_SEED

FINGERPRINT = """
SELECT (SELECT md5(string_agg(concat_ws('|', id, commune_code, sheet_no, parcel_no,
                                        land_use_code, legal_area_m2, ST_AsEWKB(geom)), ','
                              ORDER BY id)) FROM parcels),
       (SELECT md5(string_agg(concat_ws('|', id, parcel_id, step, approved_total_vnd,
                                        paid_vnd, ST_AsEWKB(recovered_geom)), ',' ORDER BY id))
        FROM clearance_cases),
       (SELECT md5(string_agg(concat_ws('|', case_id, kind, step_to, occurred_on, decision_no),
                              ',' ORDER BY id)) FROM case_events),
       (SELECT md5(string_agg(concat_ws('|', full_name, citizen_id), ',' ORDER BY id))
        FROM land_users)
"""


def _fingerprint(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(FINGERPRINT)).one())


def test_same_seed_gives_the_same_database(demo_engine: Engine,
                                           make_database: Callable[[str], str],
                                           test_settings: Settings) -> None:
    engine = make_engine(make_database("gpmb_demo_again"), test_settings)
    try:
        migrate.upgrade(engine)
        with session_factory(engine).begin() as s:
            seed_reference(s)
        load_demo(engine, parcels=DEMO_PARCELS, seed=DEMO_SEED)
        assert _fingerprint(engine) == _fingerprint(demo_engine)
    finally:
        engine.dispose()


def test_parcels_do_not_overlap(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        overlaps = conn.execute(text(
            "SELECT count(*) FROM parcels a JOIN parcels b ON a.id < b.id AND a.geom && b.geom"
            " AND ST_Relate(a.geom, b.geom, '2********')"
            " WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 0.01")).scalar_one()
    assert overlaps == 0


def test_parcels_cover_the_corridor_without_gaps(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        uncovered, footprint = conn.execute(text(
            """
            WITH f AS (SELECT ST_Union(footprint) AS g FROM alignments)
            SELECT ST_Area(ST_Difference(f.g, (SELECT ST_Union(p.geom) FROM parcels p
                                                WHERE p.geom && f.g))),
                   ST_Area(f.g)
            FROM f
            """)).one()
    assert footprint > 3_000_000  # ~60 km of right-of-way plus the police HQ site
    assert uncovered < 1.0  # m²: float noise only


def test_every_history_is_a_lawful_chain(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        broken = conn.execute(text(
            """
            WITH s AS (
                SELECT case_id, step_from, step_to, occurred_on,
                       lag(step_to) OVER w AS prev_to, lag(occurred_on) OVER w AS prev_on
                FROM case_events WHERE kind = 'step'
                WINDOW w AS (PARTITION BY case_id ORDER BY occurred_on, id))
            SELECT count(*) FROM s
            WHERE step_from <> coalesce(prev_to, 'not_started') OR occurred_on < prev_on
            """)).scalar_one()
        last_differs = conn.execute(text(
            """
            SELECT count(*) FROM clearance_cases c
            LEFT JOIN LATERAL (SELECT step_to FROM case_events e
                               WHERE e.case_id = c.id AND e.kind = 'step'
                               ORDER BY occurred_on DESC, id DESC LIMIT 1) e ON true
            WHERE coalesce(e.step_to, 'not_started') <> c.step
            """)).scalar_one()
        ledger = conn.execute(text(
            "SELECT count(*) FROM clearance_cases c WHERE paid_vnd <> (SELECT coalesce("
            "sum(amount_vnd), 0) FROM payments p WHERE p.case_id = c.id)")).scalar_one()
        steps = dict(conn.execute(text(
            "SELECT step::text, count(*) FROM clearance_cases GROUP BY step")).all())
    assert (broken, last_differs, ledger) == (0, 0, 0)
    total = sum(steps.values())
    assert steps["handed_over"] / total > 0.6  # most land handed over …
    assert sum(v for k, v in steps.items() if k != "handed_over") > 0  # … with a tail left
