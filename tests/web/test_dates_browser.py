"""Days typed and shown as dd/mm/yyyy whatever the browser's language, times in Vietnam
time: Debian's Chromium running in English (locale en-US, New York time) on the Vietnamese
case page of a real `gpmb serve` over a writable demo database of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from gis.core.calendar import local_today
from tests.web.browser import PageWatch, offline_context, screenshot
from tests.web.test_cases_http import PASSWORD, CasesWorld, server_fixture, world_fixture

world = world_fixture("gpmb_dates_browser")


server = server_fixture("dates")


@pytest.fixture
def english_browser_page(browser: Browser, page_watch: PageWatch, server: str) -> Iterator[Page]:
    """A staff page in a browser whose language is English and whose clock is New York's."""
    res = httpx.post(server + "/api/auth/login", timeout=30,
                     json={"username": "hs.staff", "password": PASSWORD})
    assert res.status_code == 200, res.text
    context = offline_context(browser, page_watch, server, dict(res.cookies), locale="en-US",
                              timezone_id="America/New_York")
    yield context.new_page()
    context.close()


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def test_an_english_browser_types_days_as_dd_mm_yyyy(server: str, english_browser_page: Page,
                                                   page_watch: PageWatch,
                                                   world: CasesWorld) -> None:
    page = english_browser_page
    case = world.case("c.step = 'notified'")
    page.goto(f"{server}/cases/{case['id']}")
    assert page.evaluate("navigator.language") == "en-US"
    field = page.locator("#step-occurred_on")
    assert field.get_attribute("type") == "text"
    assert field.get_attribute("placeholder") == "dd/mm/yyyy"
    assert field.get_attribute("inputmode") == "numeric"
    today = local_today()
    assert field.input_value() == _dmy(today)  # today, shown the Vietnamese way
    # A day whose day and month differ, so that mm/dd/yyyy would read it otherwise.
    signed = today - dt.timedelta(days=1)
    while signed.day <= 12 and signed.day != signed.month:
        signed -= dt.timedelta(days=1)
    page.select_option("#step-to_step", "inventoried")
    field.fill(_dmy(today))
    page.fill("#step-decision_no", "7/TB-UBND")
    page.fill("#step-decision_date", _dmy(signed))
    page.fill("#step-signer", "Hoàng Văn Đức")
    with page.expect_navigation():
        page.click("#step-form button[type=submit]")
    assert page.get_attribute("#case-step", "data-step") == "inventoried"
    stored = world.rows("""SELECT occurred_on, decision_date, recorded_at FROM case_events
                           WHERE case_id = :c AND decision_no = '7/TB-UBND'""", c=case["id"])
    assert [(r["occurred_on"], r["decision_date"]) for r in stored] == [(today, signed)]
    history = page.inner_text("#history")
    assert f"7/TB-UBND {'ngày'} {_dmy(signed)}" in history
    # When it was recorded: Vietnam time, not the server's UTC nor the browser's New York.
    recorded = stored[0]["recorded_at"].astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert recorded.strftime("%d/%m/%Y %H:%M") in history
    screenshot(page, "case_step_dd_mm_yyyy_en_browser")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_an_impossible_day_is_refused_next_to_its_field(server: str,
                                                      english_browser_page: Page,
                                                      world: CasesWorld) -> None:
    page = english_browser_page
    case = world.case("c.step = 'notified'")
    before = world.value("SELECT count(*) FROM case_events WHERE case_id = :c", c=case["id"])
    page.goto(f"{server}/cases/{case['id']}")
    page.select_option("#step-to_step", "inventoried")
    page.fill("#step-occurred_on", "31/02/2025")
    with page.expect_navigation():
        page.click("#step-form button[type=submit]")
    error = page.locator("[data-field=occurred_on] #step-occurred_on-error").inner_text()
    assert error.startswith("Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy")
    assert page.input_value("#step-occurred_on") == "31/02/2025"  # kept as typed
    assert world.value("SELECT count(*) FROM case_events WHERE case_id = :c",
                       c=case["id"]) == before


def test_the_dashboard_day_is_typed_dd_mm_yyyy(server: str, english_browser_page: Page) -> None:
    page = english_browser_page
    page.goto(f"{server}/dashboard")
    assert page.get_attribute("#as_of", "placeholder") == "dd/mm/yyyy"
    page.fill("#as_of", "05/03/2025")
    with page.expect_navigation():
        page.press("#as_of", "Enter")
    assert page.input_value("#as_of") == "05/03/2025"
    assert "05/03/2025" in page.inner_text("main")
