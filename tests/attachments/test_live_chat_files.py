"""Files in a live chat, both ways, in headless Chromium (Debian's `chromium`,
driven by Playwright): the customer's widget on a portal page of another origin
and the analyst's console on the hub. A 1 MB screenshot pasted in the widget is
a link in the console that downloads the same bytes (live, in the transcript
and in the opening of the ticket the chat became); a PDF the analyst attaches
is a link in the widget (a short-lived `?t=`; once that has passed, the
widget's upload token) that downloads it, and another customer cannot have it.
And the customer's view of a ticket's thread (what Carolina shows) gives each
analyst's file a `?t=` link. Hubs without Rasa: files never go to Carolina."""

from __future__ import annotations

import base64
import concurrent.futures
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import requests

from bot.domain import attachments
from bot.domain.identity import Identity, sign
from tests.attachments import files
from tests.attachments.hub import BIA, NOW, World, run, settings_for
from tests.conftest import IDENTITY_SECRET, PORTAL_ORIGIN, actions_auth
from tests.test_hub_browser import browser  # noqa: F401  (the fixture)
from tests.test_hub_widget import Customer
from tests.test_live_chat import PASSWORD, WEDNESDAY_LUNCH, escalate, start_hub

HUB_TIME = WEDNESDAY_LUNCH  # the hub's clock; the widget's page is told the same time
LATER = "2026-12-02T15:00:00-03:00"  # the `?t=` links of 12:30 have expired by then
PASTE = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  const box = document.querySelector("#carolina-input");
  box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
}"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory, server_env, portal_server) -> Iterator:
    workdir = tmp_path_factory.mktemp("live-files")
    service = start_hub(
        tmp_path_factory,
        server_env,
        "live-files-hub",
        HUB_TIME,
        CAROLINA_ALLOWED_ORIGINS=f"{PORTAL_ORIGIN},{portal_server.origin}",
        CAROLINA_SIGNING_SECRET="live-files-signing-secret",
        CAROLINA_ATTACHMENTS_DIR=str(workdir / "attachments"),
        CAROLINA_RETENTION_CHECK_HOURS="0",
    )
    yield service
    service.stop()


def downloaded(page, link) -> bytes:
    """Click a link and return what the browser saved."""
    with page.expect_download(timeout=30_000) as download:
        link.click()
    return Path(download.value.path()).read_bytes()


def other_customers_token(hub) -> tuple:
    """Another logged-in customer's conversation and its upload token (from `session_info`)."""
    other = Customer(hub.url)
    token = sign(Identity(f"c-{uuid.uuid4().hex[:8]}", "Rui", "rui@acme.example", "ACME", "es"), IDENTITY_SECRET)
    other.client.emit("session_request", {"session_id": None, "token": token, "language": "es"})
    other.expect("session_confirm")
    info = other.expect("session_info")
    other.client.disconnect()
    return info["conversation_id"], info["upload_token"]


def test_files_go_both_ways_in_a_live_chat(hub, browser, portal_server):  # noqa: F811
    console = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True)
    analyst = console.new_page()
    errors = []
    analyst.on("pageerror", lambda error: errors.append(str(error)))
    analyst.goto(f"http://localhost:{hub.port}/console")
    analyst.get_by_label("E-mail").fill("ana@support.example")
    analyst.get_by_label("Password").fill(PASSWORD)
    analyst.get_by_role("button", name="Log in").click()
    analyst.get_by_role("button", name="Offline").click()
    analyst.get_by_role("button", name="Online").wait_for()

    # The customer, logged in on the portal's page (another origin than the hub).
    identity = sign(Identity(f"c-{uuid.uuid4().hex[:8]}", "Marta", "marta@acme.example", "ACME", "en"), IDENTITY_SECRET)
    (portal_server.root / "live-files.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title></head><body><h1>Portal</h1>'
        f'<script src="{hub.url}/static/widget.js" data-token="{identity}" async></script></body></html>'
    )
    portal = browser.new_context(accept_downloads=True)
    widget = portal.new_page()
    widget.on("pageerror", lambda error: errors.append(str(error)))
    widget.clock.set_fixed_time(HUB_TIME)
    widget.goto(f"{portal_server.origin}/live-files.html")
    widget.get_by_role("button", name="Open the chat with Carolina").click()
    widget.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=30_000)
    conversation_id = widget.evaluate("document.querySelector('.carolina').dataset.conversation")
    assert escalate(hub.url, conversation_id).json()["outcome"] == "handoff"
    analyst.locator("tr", has_text="the invoice screen freezes").get_by_role("button", name="Accept").click()
    analyst.locator(".msg.system", has_text="Ana").wait_for(timeout=15_000)
    handoff = analyst.evaluate("location.hash").split("/")[1]

    # A 1 MB screenshot pasted in the widget: a link in the console, the same bytes.
    screenshot = files.png(620, 580, noise=True)
    assert 1024 * 1024 < len(screenshot) < 1_150_000
    widget.evaluate(PASTE, [base64.b64encode(screenshot).decode(), "image.png"])
    link = analyst.locator(".msg.customer a", has_text="image.png")
    link.wait_for(timeout=30_000)
    assert link.inner_text() == "image.png · 1 MB"
    assert downloaded(analyst, link) == screenshot

    # The analyst attaches a PDF: a link in the widget that downloads it.
    report = files.pdf()
    analyst.locator("#chat-files").set_input_files(
        {"name": "relatorio.pdf", "mimeType": "application/pdf", "buffer": report}
    )
    analyst.locator(".msg.agent a", has_text="relatorio.pdf").wait_for(timeout=30_000)
    sent = widget.locator(".carolina-agent.carolina-file a", has_text="relatorio.pdf")
    sent.wait_for(timeout=30_000)
    assert sent.inner_text() == f"📎 relatorio.pdf ({len(report)} B)"
    href = sent.get_attribute("href")
    assert urlsplit(href).path.startswith("/api/attachments/") and parse_qs(urlsplit(href).query)["t"]
    assert downloaded(widget, sent) == report
    assert requests.get(href, timeout=10).content == report  # the link itself is the key
    file_id = urlsplit(href).path.rsplit("/", 1)[1]

    # Another customer's token is no key to it, nor is this file's link to another file.
    other, other_token = other_customers_token(hub)
    theirs = requests.get(
        f"{hub.url}/api/attachments/{file_id}",
        params={"conversation_id": other},
        headers={"X-Carolina-Upload": other_token},
        timeout=10,
    )
    assert theirs.status_code == 404
    screenshot_id = analyst.locator(".msg.customer a", has_text="image.png").get_attribute("href").rsplit("/", 1)[1]
    borrowed = requests.get(
        f"{hub.url}/api/attachments/{screenshot_id}", params={"t": parse_qs(urlsplit(href).query)["t"][0]}, timeout=10
    )
    assert borrowed.status_code == 404
    assert requests.get(f"{hub.url}/api/attachments/{file_id}", timeout=10).status_code == 401

    # Later, after a reload, the link of 12:30 has expired: the widget fetches it with its upload token.
    widget.clock.set_fixed_time(LATER)
    widget.reload()
    widget.get_by_role("button", name="Open the chat with Carolina").click()
    again = widget.locator(".carolina-agent.carolina-file a", has_text="relatorio.pdf")
    again.wait_for(timeout=30_000)
    assert downloaded(widget, again) == report
    assert widget.locator(".carolina-customer.carolina-file", has_text="image.png").count() == 1

    # The transcript view, and the opening of the ticket the chat becomes, link both files.
    analyst.get_by_role("button", name="Turn into a ticket").click()
    analyst.get_by_role("button", name="Confirm").click()  # it asks first; the ticket stays as a link (issue 23)
    analyst.locator(".ticket-link a").wait_for(timeout=15_000)
    described = analyst.request.get(f"http://localhost:{hub.port}/api/agent/handoffs/{handoff}").json()
    analyst.evaluate(f"location.hash = '#transcript/{conversation_id}'")
    analyst.locator(".log .msg.agent a", has_text="relatorio.pdf").wait_for(timeout=15_000)
    assert downloaded(analyst, analyst.locator(".log .msg.customer a", has_text="image.png")) == screenshot
    analyst.evaluate(f"location.hash = '#ticket/{described['ticket']}'")
    opening = analyst.locator("details.opening")
    opening.locator("summary").click()
    opening.locator(".msg.customer a", has_text="image.png").wait_for(timeout=15_000)
    assert downloaded(analyst, opening.locator(".msg.agent a", has_text="relatorio.pdf")) == report
    assert not errors, errors
    portal.close()
    console.close()


def test_the_customers_thread_gives_each_file_a_link(tmp_path):
    """GET /api/tickets/{number}/thread (the action server, for the widget): an analyst's
    file on a public reply carries a `?t=` url that opens it, for this file only."""

    async def scenario(world: World) -> None:
        client, bia = world.client, await world.bearer(BIA)
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", files.pdf(), filename="passo-a-passo.pdf", content_type="application/pdf")
        stored = await client.post("/api/attachments", data=form, headers=bia)
        assert stored.status == 201, await stored.text()
        file_id = (await stored.json())["id"]
        answer = {"text": "Segue o passo a passo.", "visibility": "public", "attachments": [file_id]}
        posted = await client.post(f"/api/agent/tickets/{world.number}/messages", json=answer, headers=bia)
        assert posted.status == 201, await posted.text()

        thread = await client.get(
            f"/api/tickets/{world.number}/thread",
            params={"conversation_id": world.conversation},
            headers=actions_auth(world.conversation),
        )
        assert thread.status == 200, await thread.text()
        [file] = [f for m in (await thread.json())["messages"] for f in m["attachments"]]
        url = urlsplit(file["url"])
        assert f"{url.scheme}://{url.netloc}" == world.settings.public_url
        assert url.path == f"/api/attachments/{file_id}"
        got = await client.get(f"{url.path}?{url.query}")
        assert got.status == 200 and await got.read() == files.pdf()
        # This file's only, and for half an hour.
        token = parse_qs(url.query)["t"][0]
        assert not attachments.is_download_token(world.settings, "another-file", token, NOW)
        assert not attachments.is_download_token(world.settings, file_id, token, NOW + timedelta(minutes=31))

        # The analyst's own view keeps the plain address (the session is the key).
        own = await client.get(f"/api/agent/tickets/{world.number}", headers=bia)
        assert all("url" not in f for m in (await own.json())["thread"] for f in m["attachments"])

    # In a thread of its own: the module's Playwright keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: run(settings_for(tmp_path), scenario)).result()
