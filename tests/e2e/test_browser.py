"""The demo page in headless Chromium: a live users table and forms built on the JS client."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.e2e.conftest import TIMEOUT_MS, prepare_demo_database
from tests.e2e.servers import Server, run_server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


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


async def load(page, server: Server):
    """Open the demo page and wait until it is connected and shows its first rows."""
    await page.goto(server.http_url + "/")
    await page.wait_for_selector("#status.open")
    await page.locator("#users tbody tr").first.wait_for()


async def wait_for_value(page, selector: str, value: str):
    """Wait until the input ``selector`` holds ``value`` (its property, not its attribute)."""
    await page.wait_for_function(
        "([selector, value]) => document.querySelector(selector).value === value",
        arg=[selector, value],
    )


async def select_row(page, pk: int | str):
    """Click the row of user ``pk``; the edit form then holds that user."""
    await page.click(f"#users tbody tr[data-pk='{pk}']")
    await wait_for_value(page, "#edit-pk", str(pk))


async def test_page_lists_the_seeded_users(demo_server: Server, page):
    """On load the page connects, lists the seeded users and logs the 200 reply."""
    await load(page, demo_server)
    rows = page.locator("#users tbody tr")
    await rows.filter(has_text="user 3").wait_for()
    texts = await rows.all_inner_texts()
    for username in ("user 1", "user 2", "user 3"):
        assert any(username in text for text in texts), texts
    replies = page.locator("#log .entry.ok[data-status='200'], #log .entry.ok[data-status='201']")
    assert await replies.count() >= 1
    assert await page.get_attribute("body", "data-mode") in ("live", "fallback")


async def test_create_form_adds_a_user_clears_and_masks_the_password(demo_server: Server, page):
    """A valid create logs a 201, shows the user, clears the form; no password is logged."""
    await load(page, demo_server)
    await page.click("#log-panel summary")
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
    for field in ("username", "email", "password1", "password2"):
        assert await page.input_value(f"#create-{field}") == ""
    sent = page.locator("#log .entry.sent", has_text='"action":"create"')
    assert "••••••" in await sent.inner_text()
    for text in await page.locator("#log .entry").all_inner_texts():
        assert "a-long-secret" not in text, "the log shows a password"


async def test_the_create_form_validates_before_sending(demo_server: Server, page):
    """Differing passwords are refused on the page: nothing is sent, the fields stay."""
    await load(page, demo_server)
    await page.fill("#create-username", "mismatch")
    await page.fill("#create-password1", "one-secret")
    await page.fill("#create-password2", "another-secret")
    await page.click("#create-submit")
    await page.locator("#create-errors", has_text="differ").wait_for()
    assert await page.locator("#log .entry.sent", has_text='"action":"create"').count() == 0
    assert await page.input_value("#create-username") == "mismatch"
    # A server-side error (a duplicate username) is shown next to the form.
    await page.fill("#create-username", "user 1")
    await page.fill("#create-password2", "one-secret")
    await page.click("#create-submit")
    await page.locator("#create-errors", has_text="username").wait_for()
    assert await page.input_value("#create-username") == "user 1"


async def test_a_change_in_one_tab_shows_up_in_the_other(demo_server: Server, browser):
    """Two tabs show the users; an edit saved in one updates the other's row live."""
    first, second = await open_page(browser), await open_page(browser)
    for tab in (first, second):
        await load(tab, demo_server)
        await tab.locator("#users tbody tr[data-pk='2']").wait_for()

    await select_row(first, 2)
    await first.fill("#edit-email", "live@example.com")
    await first.click("#edit-submit")
    await wait_for_value(first, "#edit-pk", "")

    row = second.locator("#users tbody tr[data-pk='2']", has_text="live@example.com")
    await row.wait_for()
    assert "user 2" in await row.inner_text()


async def test_a_user_created_in_one_tab_appears_in_the_other(demo_server: Server, browser):
    """With live lists (``subscribe_list``), a new user appears in the other tab unasked."""
    first, second = await open_page(browser), await open_page(browser)
    for tab in (first, second):
        await load(tab, demo_server)
    if await second.get_attribute("body", "data-mode") != "live":
        pytest.skip("the server has no subscribe_list: the page follows listed rows only")
    await first.fill("#create-username", "made in the first tab")
    await first.click("#create-submit")
    await second.locator("#users tbody tr", has_text="made in the first tab").wait_for()


async def test_delete_leaves_no_stale_id_in_the_form(demo_server: Server, browser):
    """Deleting the selected user, here or in another tab, empties the edit form."""
    first, second = await open_page(browser), await open_page(browser)
    await load(first, demo_server)
    here = first.locator("#users tbody tr", has_text="to delete here")
    elsewhere = first.locator("#users tbody tr", has_text="to delete elsewhere")
    await first.fill("#create-username", "to delete here")
    await first.click("#create-submit")
    # The form clears when the reply arrives: filling it again before then could be undone.
    await here.wait_for()
    await first.fill("#create-username", "to delete elsewhere")
    await first.click("#create-submit")
    await elsewhere.wait_for()

    await here.click()
    await first.click("#delete-submit")
    await here.wait_for(state="detached")
    assert await first.input_value("#edit-pk") == ""

    pk = await elsewhere.get_attribute("data-pk")
    await select_row(first, pk)
    await load(second, demo_server)
    await select_row(second, pk)
    await second.click("#delete-submit")
    await wait_for_value(first, "#edit-pk", "")
    assert await first.input_value("#edit-username") == ""


async def test_the_list_pages_searches_and_orders(demo_server: Server, page):
    """Search narrows the table, a column click reverses the order, the pager pages."""
    await load(page, demo_server)
    await page.fill("#search", "user 3")
    await page.locator("#page-info", has_text="· 1 user").wait_for()
    assert "users" not in await page.inner_text("#page-info")
    assert await page.locator("#users tbody tr").count() == 1

    await page.fill("#search", "")
    await page.locator("#page-info", has_text="page 1 of 1").wait_for()
    await page.click("th[data-field='id']")
    await page.locator("th[data-field='id'].desc").wait_for()
    ids = [
        int(pk)
        for pk in await page.locator("#users tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.pk)"
        )
    ]
    assert ids == sorted(ids, reverse=True)

    await page.select_option("#page-size", "5")
    await page.locator("#page-info", has_text="page 1 of").wait_for()
    assert await page.locator("#page-prev").is_disabled()


async def test_the_hint_mentions_no_admin_page(demo_server: Server, page):
    """The page's hint only names places that exist (the demo routes no admin)."""
    await load(page, demo_server)
    assert "admin" not in (await page.inner_text("#hint")).lower()


async def test_the_page_recovers_after_a_server_restart(tmp_path, page):
    """Server stopped mid-session: the page says so, and once it is back it reconnects on its
    own and shows the change made while it was down."""
    database = tmp_path / "restart.sqlite3"
    env = prepare_demo_database(database)
    with run_server(env=env) as first:
        port = first.port
        await load(page, first)
        await page.locator("#users tbody tr[data-pk='2']", has_text="2@example.com").wait_for()
        first.stop()
        await page.wait_for_selector("#status.reconnecting")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE auth_user SET email = 'while-down@example.com' WHERE id = 2")
    with run_server(env=env, port=port):
        await page.wait_for_selector("#status.open", timeout=30_000)
        row = page.locator("#users tbody tr[data-pk='2']", has_text="while-down@example.com")
        await row.wait_for(timeout=30_000)
