"""The demo page in headless Chromium: it lists the users and creates one through its form."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.e2e.servers import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000


@pytest.fixture
async def browser():
    """The system's headless Chromium (Playwright downloads no browser)."""
    async_api = pytest.importorskip("playwright.async_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (scripts/test installs it)")
    async with async_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_page(browser):
    """A new tab in its own browser context."""
    context = await browser.new_context()
    new_page = await context.new_page()
    new_page.set_default_timeout(TIMEOUT_MS)
    return new_page


@pytest.fixture
async def page(browser):
    """A fresh page in the system's headless Chromium."""
    return await open_page(browser)


async def test_page_lists_the_seeded_users(demo_server: Server, page):
    """On load the page connects, sends list and shows the seeded users in the table."""
    await page.goto(demo_server.http_url + "/")
    await page.wait_for_selector("#status.open")
    rows = page.locator("#users tbody tr")
    await rows.filter(has_text="user 3").wait_for()
    texts = await rows.all_inner_texts()
    for username in ("user 1", "user 2", "user 3"):
        assert any(username in text for text in texts), texts
    assert await page.locator("#log .entry.ok[data-status='200']").count() >= 1


async def test_create_form_adds_a_user(demo_server: Server, page):
    """Submitting the create form logs a 201 reply and the new user appears in the table."""
    await page.goto(demo_server.http_url + "/")
    await page.wait_for_selector("#status.open")
    await page.locator("#users tbody tr").first.wait_for()

    await page.fill("#create-username", "browser user")
    await page.fill("#create-email", "browser@example.com")
    await page.fill("#create-password1", "a-long-secret")
    await page.fill("#create-password2", "a-long-secret")
    await page.click("#create-submit")

    created = page.locator("#log .entry[data-status='201']", has_text='"action":"create"')
    await created.wait_for()
    envelope = json.loads((await created.inner_text()).removeprefix("← "))
    assert envelope["action"] == "create" and envelope["errors"] == []
    assert envelope["data"]["username"] == "browser user"
    row = page.locator("#users tbody tr", has_text="browser user")
    await row.wait_for()
    assert "browser@example.com" in await row.inner_text()
    for text in await page.locator("#log .entry.ok, #log .entry.error").all_inner_texts():
        assert "a-long-secret" not in text, "a reply contained the password"


async def test_a_change_in_one_tab_shows_up_in_the_other(demo_server: Server, browser):
    """Two tabs show the users; a patch sent from one updates the other's row live."""
    first, second = await open_page(browser), await open_page(browser)
    for tab in (first, second):
        await tab.goto(demo_server.http_url + "/")
        await tab.wait_for_selector("#status.open")
        await tab.locator("#users tbody tr[data-pk='2']").wait_for()
    # The second tab has subscribed to the users it shows.
    await second.locator("#log .entry[data-status='201']").first.wait_for()

    await first.fill("#patch-pk", "2")
    await first.fill("#patch-data", '{"email": "live@example.com"}')
    await first.click("#patch-submit")

    row = second.locator("#users tbody tr[data-pk='2']", has_text="live@example.com")
    await row.wait_for()
    assert "user 2" in await row.inner_text()


async def test_the_list_pages_searches_and_orders(demo_server: Server, page):
    """Search narrows the table, a column click reverses the order, the pager pages."""
    await page.goto(demo_server.http_url + "/")
    await page.wait_for_selector("#status.open")
    await page.locator("#users tbody tr").first.wait_for()

    await page.fill("#search", "user 3")
    await page.locator("#page-info", has_text="(1 users)").wait_for()
    assert await page.locator("#users tbody tr").count() == 1

    await page.fill("#search", "")
    await page.locator("#page-info", has_text="page 1 of 1").wait_for()
    await page.click("th[data-field='id']")
    await page.locator("th[data-field='id'].desc").wait_for()
    first_row = page.locator("#users tbody tr").first
    ids = [
        int(pk)
        for pk in await page.locator("#users tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.pk)"
        )
    ]
    assert ids == sorted(ids, reverse=True)
    assert await first_row.get_attribute("data-pk") == str(max(ids))

    await page.select_option("#page-size", "5")
    await page.locator("#page-info", has_text="page 1 of").wait_for()
    assert await page.locator("#page-prev").is_disabled()
