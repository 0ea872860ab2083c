"""The staff case pages in a real browser (Debian's Chromium), signed in as a STAFF user, on
a real `gpmb serve` over a writable demo database of their own, offline: the list's filters
and paging, the workflow's messages next to the field, and a step recorded on the case page
recolouring its parcel on the project map without restarting the server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from playwright.sync_api import Browser, Page

from gis.core.calendar import local_today
from tests.web.browser import PageWatch, offline_context, screenshot
from tests.web.test_cases_http import (
    MOVABLE,
    NEXT,
    PASSWORD,
    CasesWorld,
    server_fixture,
    world_fixture,
)
from web.maps import STEP_COLOURS

world = world_fixture("gpmb_cases_browser")


server = server_fixture("cases")  # one process: one tile cache


@pytest.fixture(scope="module")
def staff_cookies(server: str) -> dict[str, str]:
    """A STAFF session (cookies) on the server."""
    res = httpx.post(server + "/api/auth/login", timeout=30,
                     json={"username": "hs.staff", "password": PASSWORD})
    assert res.status_code == 200, res.text
    return dict(res.cookies)


@pytest.fixture
def staff_page(browser: Browser, page_watch: PageWatch, server: str,
               staff_cookies: dict[str, str]) -> Iterator[Page]:
    """A page signed in as staff whose requests may not leave the machine (as ``page``)."""
    context = offline_context(browser, page_watch, server, staff_cookies)
    yield context.new_page()
    context.close()


REFUSED_409 = ("Failed to load resource: the server responded with a status of 409 "
               "(Conflict)")
"""What Chromium logs for a page answered 409 — a form the workflow refused
(``InvalidTransition``, 409 as in the API) is shown again with that status on purpose; it
is the only console line those tests allow, once."""


def _clean(watch: PageWatch, *, refused_once: str | None = None) -> None:
    assert watch.external_requests == []
    assert watch.console_errors == ([refused_once] if refused_once else [])


def test_list_filters_and_paging(server: str, staff_page: Page, page_watch: PageWatch,
                                 world: CasesWorld, tmp_path: Path) -> None:
    page = staff_page
    page.goto(f"{server}/cases")
    total = int(page.get_attribute("#case-total", "data-total") or 0)
    assert total == world.value("SELECT count(*) FROM clearance_cases")
    page.check("input[name=step][value=handed_over]")
    page.select_option("#f-per", "25")
    page.click("#case-filters button[type=submit]")
    page.wait_for_url("**/cases?*step=handed_over*")
    handed = world.value("SELECT count(*) FROM clearance_cases WHERE step = 'handed_over'")
    assert page.get_attribute("#case-total", "data-total") == str(handed)
    steps = page.eval_on_selector_all("#case-table tbody tr", "rs => rs.map(r => r.dataset.step)")
    assert len(steps) == 25 and set(steps) == {"handed_over"}
    first = page.eval_on_selector_all("#case-table tbody tr", "rs => rs.map(r => r.dataset.caseId)")
    page.click("#page-next")
    page.wait_for_url("**page=2*")
    second = page.eval_on_selector_all("#case-table tbody tr",
                                       "rs => rs.map(r => r.dataset.caseId)")
    assert second and not set(first) & set(second)
    assert page.inner_text("#page-of").startswith("Trang 2 /")
    assert page.is_checked("input[name=step][value=handed_over]")  # the filter is kept
    # Export what the list shows: the Excel file of the handed-over cases arrives.
    page.select_option("#case-export-format", "xlsx")
    with page.expect_download() as caught:
        page.click("#case-export button.export-cases")
    download = caught.value
    assert download.failure() is None and download.suggested_filename.endswith(".xlsx")
    download.save_as(saved := tmp_path / download.suggested_filename)
    assert openpyxl.load_workbook(saved)["Hồ sơ GPMB"].max_row == handed + 1
    screenshot(page, "cases_list")
    # Readable on a phone: the rows become cards, no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.eval_on_selector("#case-table thead", "e => getComputedStyle(e).display") == "none"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "cases_list_phone")
    page.click("#case-table tbody tr a.case-link >> nth=0")
    page.wait_for_selector("#case-title")
    _clean(page_watch)


def test_bad_date_is_shown_next_to_its_field(server: str, staff_page: Page,
                                             page_watch: PageWatch, world: CasesWorld) -> None:
    page = staff_page
    case = world.case(MOVABLE)
    page.goto(f"{server}/cases/{case['id']}")
    future = (local_today() + dt.timedelta(days=5)).isoformat()
    page.select_option("#step-to_step", NEXT[case["step"]])
    page.fill("#step-occurred_on", future)
    page.fill("#step-note", "Ghi chú của tôi")
    with page.expect_navigation():
        page.click("#step-form button[type=submit]")
    error = page.locator("[data-field=occurred_on] #step-occurred_on-error")
    assert "ở tương lai" in error.inner_text()
    assert page.get_attribute("#step-occurred_on", "aria-invalid") == "true"
    assert page.input_value("#step-occurred_on") == future
    assert page.input_value("#step-note") == "Ghi chú của tôi"
    assert page.evaluate("document.activeElement.id") == "step-occurred_on"
    assert page.get_attribute("#case-step", "data-step") == case["step"]  # nothing recorded
    screenshot(page, "case_step_refused")
    _clean(page_watch, refused_once=REFUSED_409)  # InvalidTransition, as in the API


def _parcel_feature(page: Page, parcel_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] | None = page.evaluate("""id => {
        for (const t of Object.values(GPMB.map()._layers)) {
            if (!t._vectorTiles) continue;
            for (const tile of Object.values(t._vectorTiles)) {
                const f = tile._features[id];
                if (f) return {step: f.feature.properties.step,
                               colour: f.feature.options.fillColor};
            }
        }
        return null;
    }""", parcel_id)
    return found


def _open_map(page: Page, url: str, parcel_id: int) -> dict[str, Any]:
    page.goto(url)
    page.wait_for_function("window.GPMB && GPMB.stats().features > 0", timeout=20_000)
    page.wait_for_load_state("networkidle")
    feature = _parcel_feature(page, parcel_id)
    assert feature is not None, "the parcel is not in the loaded tiles"
    return feature


def test_recorded_step_recolours_the_parcel_on_the_map(
        server: str, staff_page: Page, page_watch: PageWatch, world: CasesWorld) -> None:
    case = world.case(MOVABLE)
    lon, lat = world.rows("""SELECT ST_X(pt) AS lon, ST_Y(pt) AS lat FROM (
        SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS pt FROM parcels
        WHERE id = :p) s""", p=case["parcel_id"])[0].values()
    map_url = f"{server}/projects/{case['project']}/map#map=17/{lat:.6f}/{lon:.6f}"
    map_tab = staff_page
    before = _open_map(map_tab, map_url, case["parcel_id"])
    assert before == {"step": case["step"], "colour": STEP_COLOURS[case["step"]]}

    form_tab = map_tab.context.new_page()
    form_tab.goto(f"{server}/cases/{case['id']}")
    target = NEXT[case["step"]]
    form_tab.select_option("#step-to_step", target)
    form_tab.fill("#step-occurred_on", local_today().isoformat())
    form_tab.fill("#step-decision_no", "77/BB-KĐ")
    form_tab.fill("#step-decision_date", local_today().isoformat())
    form_tab.fill("#step-signer", "Nông Văn Thắng")
    if target == "plan_posted" and local_today() >= dt.date(2026, 1, 1):
        row = "#step-form [data-row='1']"  # the commune e-portal posting, from 2026
        form_tab.select_option(f"{row} select", "eportal_posting")
        form_tab.fill(f"{row} input[name=doc_no_1]", "5/TB-UBND")
        form_tab.fill(f"{row} input[name=doc_date_1]", local_today().isoformat())
    with form_tab.expect_navigation():
        form_tab.click("#step-form button[type=submit]")
    assert "Đã ghi nhận bước mới" in form_tab.inner_text("#flash")
    assert form_tab.get_attribute("#case-step", "data-step") == target
    screenshot(form_tab, "case_step_recorded")

    # The map tab, opened before the change, loads the map again: same server process.
    statuses: list[int] = []
    map_tab.on("response", lambda r: statuses.append(r.status)
               if "/tiles/parcels/17/" in r.url else None)
    after = _open_map(map_tab, map_url.replace("#", "?again=1#"), case["parcel_id"])
    assert after == {"step": target, "colour": STEP_COLOURS[target]}
    assert 200 in statuses  # the changed tile was sent again, not revalidated as unchanged
    map_tab.bring_to_front()
    screenshot(map_tab, "case_map_after_step")
    # The case page links to its parcel on the map.
    href = form_tab.get_attribute("#map-link", "href") or ""
    assert href.startswith(f"/projects/{case['project']}/map#map=18/")
    _clean(page_watch)


def test_payment_over_outstanding_is_refused_at_the_amount(
        server: str, staff_page: Page, page_watch: PageWatch, world: CasesWorld) -> None:
    page = staff_page
    case = world.case("c.step = 'plan_approved' AND c.approved_total_vnd > c.paid_vnd")
    page.goto(f"{server}/cases/{case['id']}#money")
    amount = case["outstanding"] + 1_000
    page.fill("#payment-amount_vnd", "")
    page.type("#payment-amount_vnd", str(amount))
    grouped = f"{amount:,}".replace(",", ".")
    assert page.input_value("#payment-amount_vnd") == grouped  # thousands grouped as typed
    page.select_option("#payment-method", "transfer")
    with page.expect_navigation():
        page.click("#payment-form button[type=submit]")
    error = page.locator("[data-field=amount_vnd] #payment-amount_vnd-error")
    assert "vượt phần còn lại của" in error.inner_text()  # the payee's share (money)
    assert page.input_value("#payment-amount_vnd") == grouped
    assert page.input_value("#payment-method") == "transfer"
    assert world.value("SELECT paid_vnd FROM clearance_cases WHERE id = :c",
                       c=case["id"]) == case["paid_vnd"]
    screenshot(page, "case_payment_refused")
    # The case page on a phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "case_page_phone")
    _clean(page_watch, refused_once=REFUSED_409)  # InvalidTransition, as in the API
