"""English mode has no Vietnamese vocabulary left: the main pages of the demo, signed in as a
leader, crawled over HTTP with ``?lang=en``. Stored data (project, commune and person
names, notes people typed) stays as it is; the words of the application — steps, land-use
classes, milestone kinds, deadline and status labels, the kind of a commune — are checked
one by one. Notes the application writes itself are translated too."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import Engine, text

from gis.core.domain import STEP_LABELS_VI
from gis.core.landuse import LAND_USE_TYPES
from gis.field.sync import event_note
from gis.ingest.overlay import _note as overlay_note
from gis.progress.milestones import MILESTONE_STATUS_VI
from gis.projects.admin import MILESTONE_KINDS_VI
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from tests.web.test_i18n import VIETNAMESE, data_names, visible_text  # noqa: F401 (fixture)
from web.i18n import note_text

VOCABULARY = sorted({*STEP_LABELS_VI.values(), *(t.name_vi for t in LAND_USE_TYPES),
                     *MILESTONE_KINDS_VI.values(), *MILESTONE_STATUS_VI.values(),
                     *DEADLINE_LABELS_VI.values()}, key=len, reverse=True)
"""Vietnamese words of the application that an English page must not show."""
COMMUNE_KIND = re.compile(r"(?:^|\s)(?:xã|phường)(?:\s|$)")


@pytest.fixture(scope="module")
def demo(demo_engine: Engine) -> dict[str, object]:
    """What to visit and what is data: a case with history and money, a household, the
    milestone titles (data typed by the province, shown by kind in English)."""
    with demo_engine.connect() as conn:
        one = conn.execute(text(
            """SELECT c.id, j.code FROM clearance_cases c JOIN projects j ON j.id = c.project_id
               WHERE c.paid_vnd > 0 ORDER BY c.paid_vnd DESC LIMIT 1""")).one()
        household = conn.execute(text(
            "SELECT household_id FROM compensation_decisions ORDER BY id LIMIT 1")).scalar()
        titles = conn.execute(text(
            "SELECT DISTINCT title FROM project_milestones WHERE kind <> 'other'")).scalars()
        people = conn.execute(text(
            """SELECT full_name FROM land_users UNION SELECT full_name FROM users
               UNION SELECT full_name FROM compensation_payees""")).scalars()
        return {"case": one.id, "project": one.code, "household": household,
                "titles": sorted(titles), "people": sorted(people, key=len, reverse=True)}


def _shown(web: httpx.Client, url: str, names: list[str]) -> list[str]:
    res = web.get(url)
    assert res.status_code == 200, url
    assert f'<html lang="{url.rsplit("lang=", 1)[-1]}">' in res.text
    parts = []
    for part in visible_text(res.text):
        for name in names:
            part = part.replace(name, "")
        parts.append(part)
    return parts


def test_main_pages_in_english_show_no_vietnamese_vocabulary(
        web: httpx.Client, live_server: str, demo: dict[str, object],
        data_names: list[str]) -> None:  # noqa: F811 (the fixture)
    names = data_names + list(demo["people"])  # type: ignore[call-overload]
    pages = ["/", "/dashboard", f"/projects/{demo['project']}/dashboard", "/cases",
             f"/projects/{demo['project']}/cases", f"/cases/{demo['case']}", "/committee",
             f"/households/{demo['household']}", f"/projects/{demo['project']}/map"]
    found: dict[str, list[str]] = {}
    for path in pages:
        parts = _shown(web, f"{live_server}{path}?lang=en", names)
        terms = [t for t in [*VOCABULARY, *demo["titles"]]  # type: ignore[misc]
                 if any(t in p for p in parts)]
        if "dashboard" in path or path == "/":
            terms += [p for p in parts if COMMUNE_KIND.search(p)]
        if terms:
            found[path] = terms
    assert found == {}
    # ...and the check sees them where they belong: the same pages in Vietnamese.
    vi = _shown(web, f"{live_server}/cases?lang=vi", names)
    assert any(t.name_vi in p for t in LAND_USE_TYPES for p in vi)
    vi = _shown(web, f"{live_server}/projects/{demo['project']}/dashboard?lang=vi", names)
    assert any(t in p for t in demo["titles"] for p in vi)  # type: ignore[attr-defined]
    assert any(COMMUNE_KIND.search(p) for p in vi)


def test_notes_the_application_writes_are_translated_not_what_people_typed() -> None:
    at = dt.datetime(2025, 3, 5, 7, 30, tzinfo=dt.UTC)
    handover = event_note("handover", {"note": "Hộ đã dọn xong",
                                       "gps": {"lat": 21.853, "lon": 106.761, "accuracy_m": 5}},
                          at, by="Lò Văn Hải")
    assert handover.startswith("Xác nhận bàn giao mặt bằng tại hiện trường lúc 05/03/2025 14:30")
    english = note_text(handover, "en")
    assert english == ("Site handover confirmed on site at 05/03/2025 14:30, GPS 21.853000, "
                       "106.761000 (±5 m); done by: Lò Văn Hải. Hộ đã dọn xong")
    inventory = note_text(event_note("inventory", {"inventory_item": "Nhà cấp 4",
                                                   "inventory_found": False}, at), "en")
    assert inventory == ("Inventory checked on site at 05/03/2025 14:30: Nhà cấp 4 — "
                         "no longer there.")
    overlay = overlay_note(2500.0, 2000.5, False, True, True, "cli:test")
    assert "diện tích thu hồi 2.500,0 → 2.000,5 m²" in overlay  # Vietnamese numbers
    assert note_text(overlay, "en") == (
        "Recovery footprint overlaid again (cli:test): recovered area 2,500.0 → 2,000.5 m²; "
        "recovery of part → all of the parcel; on the parcel's new survey.")
    assert not VIETNAMESE.search(note_text(overlay, "en"))
    typed = "Chồng xếp lại phạm vi thu hồi theo ý kiến hộ"  # typed by a person: kept
    assert note_text(typed, "en") == typed and note_text("Đã gặp hộ dân", "en") == "Đã gặp hộ dân"
    assert note_text(handover, "vi") == handover
