"""The household compensation page in a real browser (Debian's Chromium), signed in as
staff, on a real `gpmb serve` over a writable demo database, offline: the case page shows
its households' line items, payees and late-payment interest; the household page refuses
a deposit without its account next to the field, then records it in the ledger."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.web.browser import PageWatch, signed_in_context
from tests.web.test_cases_browser import REFUSED_409
from tests.web.test_cases_http import PASSWORD, CasesWorld, server_fixture, world_fixture

world = world_fixture("gpmb_households_browser")


server = server_fixture("households")


@pytest.fixture
def staff_page(browser: Browser, page_watch: PageWatch, server: str) -> Iterator[Page]:
    context = signed_in_context(browser, page_watch, server, "hs.staff", PASSWORD)
    yield context.new_page()
    context.close()


def test_case_and_household_pages_show_items_payees_interest_and_take_a_deposit(
        server: str, staff_page: Page, page_watch: PageWatch, world: CasesWorld) -> None:
    page = staff_page
    # A demo household whose heir's share was deposited late: it owes interest.
    late = world.rows("""
        SELECT hc.case_id, y.household_id FROM payments y
        JOIN compensation_household_cases hc ON hc.household_id = y.household_id
        JOIN compensation_payees p ON p.id = y.payee_id AND p.kind = 'heir'
        WHERE y.kind = 'deposit' ORDER BY y.id LIMIT 1""")[0]
    page.goto(f"{server}/cases/{late['case_id']}")
    card = page.locator(f"#households [data-household-id='{late['household_id']}']")
    assert card.locator("table.items tbody tr").count() >= 2
    assert "Thưởng bàn giao mặt bằng sớm" in card.inner_text()
    assert "Người thừa kế" in card.inner_text()
    assert card.locator(".interest").count() >= 1  # late-payment interest shown
    # A household with money still open: a deposit without its account, then with it.
    open_one = world.rows("""
        SELECT h.id FROM compensation_households h
        JOIN compensation_decisions d ON d.household_id = h.id AND d.total_vnd > 0
        WHERE NOT EXISTS (SELECT 1 FROM payments y WHERE y.household_id = h.id)
        ORDER BY h.id LIMIT 1""")[0]["id"]
    page.goto(f"{server}/households/{open_one}")
    assert page.locator("#decisions article.decision").count() >= 1
    page.select_option("#hpayment-kind", "deposit")
    page.fill("#hpayment-amount_vnd", "1.000.000")
    page.click("#hpayment button[type=submit]")
    error = page.locator("#hpayment-deposit_account-error")
    error.wait_for()
    assert "tài khoản tạm giữ" in error.inner_text()
    assert page.input_value("#hpayment-amount_vnd") == "1.000.000"  # kept as typed
    page.fill("#hpayment-deposit_account", "3761.0.9052147 KBNN Lạng Sơn")
    page.click("#hpayment button[type=submit]")
    page.wait_for_url(f"**/households/{open_one}?saved=hpayment*")
    row = page.locator("#household-ledger tr[data-kind='deposit']")
    assert row.count() == 1 and "1.000.000" in row.inner_text()
    assert page.inner_text("#hh-deposited").strip().startswith("1.000.000")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == [REFUSED_409]  # the ledger's refusal, as in the API
