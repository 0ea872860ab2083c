"""Load the demo dataset into PostGIS in one transaction, with bulk COPY.

The Hữu Nghị – Chi Lăng expressway (PPP-BOT) with its cadastral parcels, land users and
clearance cases (history 2024–2026), plus the provincial police headquarters site with its
resettlement area. Deterministic from ``(parcels, seed)``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from psycopg import Connection as PgConnection
from psycopg import Cursor
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from shapely.affinity import translate
from shapely.geometry import LineString, MultiPolygon, Polygon
from sqlalchemy import Connection, Engine, text

from gis.core.crs import STORAGE_SRID
from gis.core.domain import CaseStep, UnitType
from gis.demo.capital import insert_capital
from gis.demo.committee import insert_committee
from gis.demo.communes import load_communes
from gis.demo.corridor import expressway_alignments, police_hq_site, resettlement_area
from gis.demo.history import CaseHistory, generate_case_history
from gis.demo.households import DEPOSIT_ACCOUNT, enrich_households
from gis.demo.parcels import generate_parcels
from gis.demo.people import generate_land_users
from gis.demo.projects import DEMO_PROJECTS, EXPRESSWAY_CODE, POLICE_HQ_CODE, ProjectSpec

RESIDENTIAL = ("ONT", "ODT")


def commune_display_names() -> dict[str, str]:
    """Commune code -> "xã Đồng Đăng" / "phường Tam Thanh" (for signers and organisations)."""
    return {c.code: f"{'phường' if c.unit_type == UnitType.WARD else 'xã'} {c.name}"
            for c in load_communes()}
MIN_RECOVERED_M2 = 1.0  # slivers below this are not cases


@dataclass(frozen=True)
class DemoResult:
    """What was loaded, for the CLI and the README."""

    parcels: int
    land_users: int
    cases: int
    events: int
    payments: int
    seconds: float


def _n(value: int) -> str:
    """Vietnamese thousands separator: 12345 -> '12.345'."""
    return f"{value:,}".replace(",", ".")


def _copy_frame(cur: Cursor[tuple[object, ...]], table: str, frame: pd.DataFrame) -> None:
    """COPY a DataFrame (CSV; empty unquoted field = NULL) in chunks of 100k rows."""
    cols = ", ".join(frame.columns)
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        for start in range(0, len(frame), 100_000):
            buf = io.StringIO()
            frame.iloc[start:start + 100_000].to_csv(
                buf, header=False, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
            )
            copy.write(buf.getvalue())


def _hex_ewkb(geoms: Sequence[object] | np.ndarray) -> np.ndarray:
    arr = shapely.set_srid(np.asarray(geoms, dtype=object), STORAGE_SRID)
    return shapely.to_wkb(arr, hex=True, include_srid=True)


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygons -> one-part MultiPolygons (vectorised); MultiPolygons pass through."""
    geoms = np.asarray(geoms, dtype=object)
    is_poly = shapely.get_type_id(geoms) == 3
    out = geoms.copy()
    out[is_poly] = shapely.multipolygons(geoms[is_poly].reshape(-1, 1))
    return out


def _ewkb(geom: shapely.Geometry) -> str:
    """Hex EWKB in the storage SRID, for ``CAST(:param AS geometry)``."""
    return str(shapely.to_wkb(shapely.set_srid(geom, STORAGE_SRID), hex=True, include_srid=True))


def _multi(geom: Polygon | MultiPolygon) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def _insert_projects(conn: Connection, projects: Sequence[ProjectSpec]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for p in projects:
        ids[p.code] = conn.execute(
            text(
                "INSERT INTO projects (code, name, investment_form, owner, contracting_authority,"
                " legal_basis, compensation_budget_vnd, start_date, is_demo) VALUES (:code, :name,"
                " CAST(:form AS investment_form), :owner, :authority, :basis, 0, :start, true)"
                " RETURNING id"
            ),
            {"code": p.code, "name": p.name, "form": p.investment_form.value, "owner": p.owner,
             "authority": p.contracting_authority, "basis": p.legal_basis, "start": p.start_date},
        ).scalar_one()
        for m in p.milestones:
            conn.execute(
                text("INSERT INTO project_milestones (project_id, kind, title, due_date,"
                     " target_share) VALUES (:pid, :kind, :title, :due, :share)"),
                {"pid": ids[p.code], "kind": m.kind, "title": m.title, "due": m.due_date,
                 "share": m.target_share},
            )
    return ids


def _insert_alignments(conn: Connection, project_ids: dict[str, int]) -> None:
    specs: list[tuple[str, str, str, LineString | None, float, float | None, MultiPolygon]]
    specs = [(EXPRESSWAY_CODE, a.code, a.name, a.centreline, a.start_chainage_m, a.row_width_m,
              _multi(a.footprint)) for a in expressway_alignments()]
    specs.append((POLICE_HQ_CODE, "KHUDAT", "Khu đất xây dựng trụ sở", None, 0.0, None,
                  _multi(police_hq_site())))
    for project, code, name, line, start, width, footprint in specs:
        conn.execute(
            text("INSERT INTO alignments (project_id, code, name, centreline, start_chainage_m,"
                 " row_width_m, footprint) VALUES (:pid, :code, :name, CAST(:line AS geometry),"
                 " :start, :width, CAST(:footprint AS geometry))"),
            {"pid": project_ids[project], "code": code, "name": name,
             "line": _ewkb(line) if line is not None else None,
             "start": start, "width": width,
             "footprint": _ewkb(footprint)},
        )


def _overlay_cases(conn: Connection) -> pd.DataFrame:
    """Intersect every alignment footprint with the parcels: one case per project × parcel."""
    conn.execute(text(
        """
        CREATE TEMP TABLE demo_cases ON COMMIT DROP AS
        SELECT DISTINCT ON (a.project_id, p.id)
               a.project_id, p.id AS parcel_id, a.id AS alignment_id,
               ST_Multi(ST_CollectionExtract(ST_MakeValid(
                   ST_Intersection(p.geom, f.footprint)), 3)) AS recovered_geom,
               p.land_use_code, p.commune_code, p.legal_area_m2, ST_Area(p.geom) AS parcel_area
        FROM alignments a
        JOIN (SELECT project_id, ST_Union(footprint) AS footprint
              FROM alignments GROUP BY project_id) f ON f.project_id = a.project_id
        JOIN parcels p ON ST_Intersects(p.geom, a.footprint)
        ORDER BY a.project_id, p.id, ST_Area(ST_Intersection(p.geom, a.footprint)) DESC
        """
    ))
    conn.execute(text(
        "DELETE FROM demo_cases WHERE ST_IsEmpty(recovered_geom) OR ST_Area(recovered_geom) < :m"
    ), {"m": MIN_RECOVERED_M2})
    rows = conn.execute(text(
        "SELECT row_number() OVER (ORDER BY d.project_id, d.parcel_id) AS case_key, pr.code"
        " AS project_code, d.parcel_id AS parcel_key, d.land_use_code, d.commune_code,"
        " round(ST_Area(d.recovered_geom)::numeric, 1)::float AS recovered_area_m2,"
        " d.legal_area_m2::float AS legal_area_m2,"
        " ST_Area(d.recovered_geom) >= 0.995 * d.parcel_area AS is_whole"
        " FROM demo_cases d JOIN projects pr ON pr.id = d.project_id ORDER BY case_key"
    )).all()
    frame = pd.DataFrame(rows, columns=["case_key", "project_code", "parcel_key", "land_use_code",
                                        "commune_code", "recovered_area_m2", "legal_area_m2",
                                        "is_whole"])
    frame["has_residence"] = frame["land_use_code"].isin(RESIDENTIAL)
    return frame


def load_demo(engine: Engine, *, parcels: int = 5000, seed: int = 20250331,
              console: Console | None = None) -> DemoResult:
    """Generate and load the demo in a single transaction (all or nothing)."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
               "{task.total}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Dữ liệu mẫu", total=7)

        def step(label: str) -> None:
            progress.update(task, description=label)

        step(f"Sinh {_n(parcels)} thửa đất")
        gdf = generate_parcels(parcels, seed)
        progress.advance(task)
        step("Sinh người sử dụng đất")
        names = commune_display_names()
        cent = shapely.centroid(gdf.geometry.values)
        users, holdings = generate_land_users(
            pd.DataFrame({"parcel_key": gdf["parcel_key"], "commune_code": gdf["commune_code"],
                          "land_use_code": gdf["land_use_code"],
                          "centroid_x": shapely.get_x(cent), "centroid_y": shapely.get_y(cent)}),
            seed,
            commune_names=names,
        )
        progress.advance(task)
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            step("Ghi dự án, tuyến, thửa đất (COPY)")
            project_ids = _insert_projects(conn, DEMO_PROJECTS)
            _insert_alignments(conn, project_ids)
            survey_id = conn.execute(text(
                "INSERT INTO surveys (name, source, surveyed_on) VALUES ('Bản đồ địa chính mẫu"
                " (dữ liệu minh hoạ)', 'gpmb demo', '2023-10-01') RETURNING id")).scalar_one()
            parcel_rows = pd.DataFrame({
                "id": gdf["parcel_key"].astype("int64"), "survey_id": survey_id,
                "commune_code": gdf["commune_code"],
                "sheet_commune_code": gdf["sheet_commune_code"],
                "sheet_no": gdf["sheet_no"].astype("int64"),
                "parcel_no": gdf["parcel_no"].astype("int64"),
                "land_use_code": gdf["land_use_code"],
                "land_use_code_source": gdf["land_use_code_source"],
                "legal_area_m2": gdf["legal_area_m2"].round(1),
                "geom": _hex_ewkb(_as_multipolygons(gdf.geometry.values)),
            })
            with raw.cursor() as cur:
                _copy_frame(cur, "parcels", parcel_rows)
                cur.execute("SELECT setval('parcels_id_seq', (SELECT max(id) FROM parcels))")
                user_rows = users.rename(columns={"user_key": "id"})[
                    ["id", "kind", "full_name", "citizen_id", "phone", "address", "commune_code"]]
                _copy_frame(cur, "land_users", user_rows)
                cur.execute("SELECT setval('land_users_id_seq', (SELECT max(id) FROM land_users))")
                _copy_frame(cur, "parcel_land_users", holdings.rename(
                    columns={"parcel_key": "parcel_id", "user_key": "land_user_id"})[
                    ["parcel_id", "land_user_id", "share_pct"]])
            conn.execute(text("ANALYZE parcels"))
            progress.advance(task)

            step("Chồng xếp phạm vi thu hồi với thửa đất")
            cases_in = _overlay_cases(conn)
            progress.advance(task)
            step("Sinh lịch sử hồ sơ, chi trả")
            cases_in["commune_name"] = cases_in["commune_code"].map(names)
            cases_in["payee_name"] = cases_in["parcel_key"].map(_first_holders(users, holdings))
            history = generate_case_history(cases_in, seed)
            progress.advance(task)

            step("Ghi hồ sơ, sự kiện, chi trả (COPY)")
            n_events, n_payments = _write_cases(conn, raw, cases_in, history, project_ids)
            progress.advance(task)
            step("Khu tái định cư")
            _insert_resettlement(conn, project_ids)
            insert_capital(conn, project_ids)
            insert_committee(conn, project_ids)
            conn.execute(text("UPDATE projects SET compensation_budget_vnd = b.budget"
                              " FROM (SELECT project_id, (ceil(sum(approved_total_vnd) * 1.1"
                              " / 1e9) * 1e9)::bigint AS budget FROM clearance_cases"
                              " GROUP BY project_id) b WHERE b.project_id = projects.id"))
            progress.advance(task)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    result = DemoResult(len(gdf), len(users), len(cases_in), n_events, n_payments,
                        time.perf_counter() - started)
    console.print(
        f"Đã nạp {_n(result.parcels)} thửa, {_n(result.land_users)} người sử dụng đất, "
        f"{_n(result.cases)} hồ sơ, {_n(result.events)} sự kiện, {_n(result.payments)} lần "
        f"chi trả trong {result.seconds:.1f} giây."
    )
    return result


def _write_cases(conn: Connection, raw: PgConnection[Any], cases_in: pd.DataFrame,
                 history: CaseHistory, project_ids: dict[str, int]) -> tuple[int, int]:
    """Insert cases from the overlay plus generated state; then events and payments."""
    hc, events, payments = history.cases, history.events, history.payments
    steps = events[events["kind"] == "step"]
    last_step_on = steps.groupby("case_key")["occurred_on"].max()
    handed = steps[steps["step_to"] == CaseStep.HANDED_OVER.value].set_index("case_key")[
        "occurred_on"]
    state = cases_in[["case_key", "parcel_key"]].merge(hc, on="case_key", how="left")
    state["step_changed_on"] = state["case_key"].map(last_step_on)
    state["handover_date"] = state["case_key"].map(handed)
    money = ["approved_land_vnd", "approved_structures_vnd", "approved_crops_vnd",
             "approved_support_vnd", "approved_resettlement_vnd"]
    for col in money:
        state[col] = state[col].astype("int64")
    state["enforcement_stage"] = state["enforcement_stage"].astype("object")
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE demo_state (case_key bigint, parcel_id bigint,"
                    " step case_step, step_changed_on date, handover_date date,"
                    " approved_land_vnd bigint, approved_structures_vnd bigint,"
                    " approved_crops_vnd bigint, approved_support_vnd bigint,"
                    " approved_resettlement_vnd bigint, resettlement_needed boolean,"
                    " complaint_open boolean, enforcement_stage text) ON COMMIT DROP")
        _copy_frame(cur, "demo_state", state.rename(columns={"parcel_key": "parcel_id"})[[
            "case_key", "parcel_id", "step", "step_changed_on", "handover_date", *money,
            "resettlement_needed", "complaint_open", "enforcement_stage"]])
    conn.execute(text(
        """
        INSERT INTO clearance_cases (id, project_id, parcel_id, alignment_id, recovered_geom,
            recovered_area_m2, is_whole_parcel, step, step_changed_on, handover_date,
            approved_land_vnd, approved_structures_vnd, approved_crops_vnd,
            approved_support_vnd, approved_resettlement_vnd, resettlement_needed,
            complaint_open, enforcement_stage)
        SELECT s.case_key, d.project_id, d.parcel_id, d.alignment_id, d.recovered_geom,
               round(ST_Area(d.recovered_geom)::numeric, 1),
               ST_Area(d.recovered_geom) >= 0.995 * d.parcel_area, s.step, s.step_changed_on,
               s.handover_date, s.approved_land_vnd, s.approved_structures_vnd,
               s.approved_crops_vnd, s.approved_support_vnd, s.approved_resettlement_vnd,
               s.resettlement_needed, s.complaint_open, s.enforcement_stage
        FROM demo_state s
        JOIN (SELECT *, row_number() OVER (ORDER BY project_id, parcel_id) AS case_key
              FROM demo_cases) d ON d.case_key = s.case_key
        """
    ))
    conn.execute(text("SELECT setval('clearance_cases_id_seq',"
                      " (SELECT max(id) FROM clearance_cases))"))
    # Event ids are given here, so the documents and the complaint register can name them.
    first_id = int(conn.execute(text("SELECT COALESCE(max(id), 0) + 1 FROM case_events"))
                   .scalar_one())
    ids = pd.Series(np.arange(first_id, first_id + len(events), dtype=np.int64),
                    index=pd.MultiIndex.from_arrays([events["case_key"], events["seq"]]))
    ev = events.assign(id=ids.to_numpy()).rename(columns={"case_key": "case_id"})[[
        "id", "case_id", "kind", "step_from", "step_to", "occurred_on", "decision_no",
        "decision_date", "signer", "issuer_level", "issuer_unit", "note", "recorded_at"]]
    docs = history.documents.assign(event_id=ids.reindex(pd.MultiIndex.from_arrays(
        [history.documents["case_key"], history.documents["seq"]])).to_numpy()).rename(
        columns={"case_key": "case_id"})[["event_id", "case_id", "kind", "doc_no", "doc_date"]]
    register = _complaint_rows(history.complaints, ids)
    pay = payments.rename(columns={"case_key": "case_id"})[[
        "case_id", "amount_vnd", "paid_on", "method", "voucher_no"]]
    # The ledger trigger keeps paid_vnd; its audit copies would only repeat the demo itself.
    conn.execute(text("ALTER TABLE clearance_cases DISABLE TRIGGER tr_audit"))
    with raw.cursor() as cur:
        _copy_frame(cur, "case_events", ev)
        cur.execute("SELECT setval('case_events_id_seq', (SELECT max(id) FROM case_events))")
        _copy_frame(cur, "event_documents", docs)
        _copy_frame(cur, "complaints", register)
        cur.execute("CREATE TEMP TABLE demo_payments (case_id bigint, amount_vnd bigint,"
                    " paid_on date, method payment_method, voucher_no text) ON COMMIT DROP")
        _copy_frame(cur, "demo_payments", pay.astype({"amount_vnd": "int64"}))
    # Household records, payees and itemised decisions from the generated amounts; each
    # payment goes to the first land user of its parcel.
    conn.execute(text("SELECT gpmb_backfill_households(false)"))
    conn.execute(text(
        """
        INSERT INTO payments (case_id, amount_vnd, paid_on, method, voucher_no, household_id,
                              payee_id, kind, deposit_account)
        SELECT p.case_id, p.amount_vnd, p.paid_on, p.method, p.voucher_no, h.id, y.id,
               CASE WHEN p.method = 'treasury_deposit' THEN 'deposit' ELSE 'payment' END
                   ::ledger_kind,
               CASE WHEN p.method = 'treasury_deposit' THEN :account END
        FROM demo_payments p JOIN clearance_cases c ON c.id = p.case_id
        JOIN LATERAL (SELECT pu.land_user_id FROM parcel_land_users pu
                      WHERE pu.parcel_id = c.parcel_id
                      ORDER BY pu.share_pct DESC, pu.land_user_id LIMIT 1) u ON true
        JOIN compensation_households h
            ON h.project_id = c.project_id AND h.land_user_id = u.land_user_id
        JOIN LATERAL (SELECT min(id) AS id FROM compensation_payees
                      WHERE household_id = h.id) y ON true
        ORDER BY p.case_id, p.paid_on
        """), {"account": DEPOSIT_ACCOUNT})
    enrich_households(conn)
    conn.execute(text("ALTER TABLE clearance_cases ENABLE TRIGGER tr_audit"))
    return len(ev), len(pay)


def _first_holders(users: pd.DataFrame, holdings: pd.DataFrame) -> pd.Series:
    """parcel_key -> the name of its largest holder (who signs the payment receipt)."""
    named = holdings.merge(users[["user_key", "full_name"]], on="user_key")
    named = named.sort_values(["parcel_key", "share_pct", "user_key"],
                              ascending=[True, False, True], kind="stable")
    return named.drop_duplicates("parcel_key").set_index("parcel_key")["full_name"]


def _complaint_rows(register: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The complaint register with the ids of its filing and resolution events."""
    def event_id(keys: pd.Series, seqs: pd.Series) -> pd.Series:
        found = ids.reindex(pd.MultiIndex.from_arrays([keys, seqs.fillna(0).astype("int64")]))
        return pd.Series(found.to_numpy(), index=keys.index).where(seqs.notna()).astype("Int64")

    out = register.assign(filed_event_id=event_id(register["case_key"], register["seq"]),
                          resolved_event_id=event_id(register["case_key"],
                                                     register["resolved_seq"]))
    return out.rename(columns={"case_key": "case_id"})[[
        "case_id", "filed_event_id", "received_on", "against", "decision_received_on", "round",
        "due_on", "late_days", "rule_version", "outcome", "outcome_on", "resolved_event_id"]]


def _insert_resettlement(conn: Connection, project_ids: dict[str, int]) -> None:
    """Resettlement areas: the police HQ project's, and as many copies of its layout for
    the expressway as its households need; plots are allocated before the recovery
    decision, as the law requires (revision 0009 refuses a decision before it)."""
    area, plots = resettlement_area()
    wanted = int(conn.execute(text(
        "SELECT count(*) FROM clearance_cases WHERE resettlement_needed AND step IN"
        " ('decided', 'decided_paid', 'handed_over')")).scalar_one())
    rng = np.random.default_rng(7)
    areas = [("TDC-DONGKINH", "Khu tái định cư phục vụ dự án trụ sở Công an tỉnh",
              POLICE_HQ_CODE, 0.0)]
    for k in range(1, -(-max(wanted - len(plots), 0) // len(plots)) + 1):
        areas.append((f"TDC-HNCL-{k}", f"Khu tái định cư số {k} tuyến cao tốc Hữu Nghị – Chi "
                      "Lăng", EXPRESSWAY_CODE, 400.0 * k))
    for code, name, project, dx in areas:
        area_id = conn.execute(text(
            "INSERT INTO resettlement_areas (project_id, code, name, commune_code, geom)"
            " SELECT :pid, :code, :name, c.code, CAST(:geom AS geometry) FROM communes c"
            " ORDER BY ST_Distance(c.centre, ST_Centroid(CAST(:geom AS geometry)))"
            " LIMIT 1 RETURNING id"),
            {"pid": project_ids[project], "code": code, "name": name,
             "geom": _ewkb(_multi(translate(area, dx)))},
        ).scalar_one()
        for plot_code, plot in plots:
            price = int(round(plot.area * float(rng.uniform(9.0e6, 14.0e6)), -5))
            conn.execute(text(
                "INSERT INTO resettlement_plots (area_id, code, area_m2, price_vnd, geom)"
                " VALUES (:a, :c, round(CAST(:m AS numeric), 1), :p, CAST(:g AS geometry))"),
                {"a": area_id, "c": plot_code, "m": plot.area, "p": price,
                 "g": _ewkb(translate(plot, dx))})
    # Households with a recovery decision got their plot on the day the plan was approved
    # (arranged before the decision); then the paid ones waiting, while plots remain.
    conn.execute(text(
        """
        INSERT INTO resettlement_allocations (plot_id, case_id, allocated_on, decision_no)
        SELECT p.id, c.id, c.allocated_on, c.id || '/QĐ-GĐTĐC'
        FROM (SELECT c.id, row_number() OVER (ORDER BY c.step NOT IN
                         ('decided', 'decided_paid', 'handed_over'), c.id) AS n,
                     CASE WHEN c.step IN ('decided', 'decided_paid', 'handed_over')
                          THEN a.approved_on ELSE c.step_changed_on END AS allocated_on
              FROM clearance_cases c
              JOIN LATERAL (SELECT COALESCE(e.decision_date, e.occurred_on) AS approved_on
                            FROM case_events e WHERE e.case_id = c.id AND e.kind = 'step'
                              AND e.step_to = 'plan_approved') a ON true
              WHERE c.resettlement_needed
                AND c.step IN ('paid', 'decided', 'decided_paid', 'handed_over')) c
        JOIN (SELECT id, row_number() OVER (ORDER BY area_id, code) AS n
              FROM resettlement_plots) p ON p.n = c.n
        """))


