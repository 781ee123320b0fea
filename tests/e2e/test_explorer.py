"""The explorer page on the demo, in headless Chromium: a form built from the schema sends
``patch`` and shows the reply; a subscription in one page shows the event another page's
save causes.

``DCRF_SCREENSHOTS_DIR=docs/img`` saves the screenshots the docs show.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.servers import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def open_explorer(browser, server: Server):
    """A new page (own context) on the demo's explorer, connected to ``/ws/``."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(server.http_url + "/explorer/")
    await page.wait_for_selector("#explorer-status.open")
    return page


async def screenshot(page, name: str) -> None:
    directory = os.environ.get("DCRF_SCREENSHOTS_DIR")
    if directory:
        await page.screenshot(path=str(Path(directory) / name))


async def send(page, action: str, fields: dict[str, str]) -> None:
    """Pick ``action``, fill its form fields by name and send it."""
    await page.click(f'#actions button[data-action="{action}"]')
    for name, value in fields.items():
        await page.fill(f'#action-form [name="{name}"]', value)
    await page.click("#send")


async def test_patch_from_the_form_shows_the_reply(demo_server: Server, browser):
    """The patch form (pk and the serializer's writable fields) sends the frame and the
    200 reply appears with the new value."""
    page = await open_explorer(browser, demo_server)
    assert await page.locator('#action-form [name="data.password"]').count() == 0
    await page.click('#actions button[data-action="patch"]')
    # Write-only fields are in the form; read-only ones (id) are not.
    assert await page.locator('#action-form [name="data.password1"]').count() == 1
    assert await page.locator('#action-form [name="data.id"]').count() == 0
    await send(page, "patch", {"pk": "2", "data.email": "explorer@example.com"})
    reply = page.locator(
        '#log .entry[data-kind="reply"][data-action="patch"][data-status="200"]',
        has_text="explorer@example.com",
    )
    await reply.wait_for()
    await screenshot(page, "explorer-patch.png")


async def test_raw_json_mode_sends_any_frame(demo_server: Server, browser):
    """Raw mode sends the edited JSON as it is; an error reply is shown as one."""
    page = await open_explorer(browser, demo_server)
    await page.check("#raw-mode")
    await page.fill("#raw", '{"action": "retrieve", "pk": 999, "request_id": 42}')
    await page.click("#send")
    await page.locator('#log .entry.error[data-status="404"]', has_text="Not found").wait_for()
    # The history keeps the frame.
    await page.locator("#history li", has_text='"pk":999').wait_for()


async def test_subscription_shows_events_from_another_page(demo_server: Server, browser):
    """Page A subscribes to user 1; page B renames it; page A shows the update event."""
    watcher = await open_explorer(browser, demo_server)
    await send(watcher, "subscribe_instance", {"pk": "1"})
    await watcher.locator('#log .entry[data-kind="reply"][data-status="201"]').wait_for()

    editor = await open_explorer(browser, demo_server)
    await send(editor, "patch", {"pk": "1", "data.username": "renamed in B"})
    await editor.locator('#log .entry[data-kind="reply"][data-status="200"]').wait_for()

    event = watcher.locator(
        '#log .entry[data-kind="event"][data-action="update"]', has_text="renamed in B"
    )
    await event.wait_for()
    await screenshot(watcher, "explorer-subscription.png")
