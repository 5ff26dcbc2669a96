"""The widget's files in headless Chromium (Debian's `chromium`, driven by
Playwright), on a portal page of another origin: a 1 MB screenshot pasted into
the message box reaches the hub and shows as the customer's line; the paperclip
works from the keyboard; a file dropped on the panel goes too; a 25 MB file and
an .exe renamed .png are refused with their message. A hub of its own, without
Rasa (files never go to Carolina)."""

from __future__ import annotations

import base64
import socket
from typing import Iterator

import pytest
import requests

from tests.attachments import files
from tests.conftest import ACTIONS_TOKEN, HUB_PYTHON, Service, actions_auth, free_port
from tests.test_hub_browser import browser, page  # noqa: F401  (the fixtures)

ADMIN, PASSWORD = "admin@support.example", "the test administrator's password"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def files_hub(tmp_path_factory, server_env, portal_server) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("files-hub")
    port = free_port()
    env = dict(
        server_env,
        CAROLINA_PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'hub.db'}",
        RASA_URL=f"http://127.0.0.1:{closed_port()}",
        CAROLINA_IDENTITY_SECRET="files-identity-secret",
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        CAROLINA_SIGNING_SECRET="files-signing-secret",
        CAROLINA_ADMIN_EMAIL=ADMIN,
        CAROLINA_ADMIN_PASSWORD=PASSWORD,
        CAROLINA_ALLOWED_ORIGINS=portal_server.origin,
        CAROLINA_ATTACHMENTS_DIR=str(workdir / "attachments"),
        CAROLINA_OUTBOX=str(workdir / "outbox"),
        CAROLINA_RETENTION_CHECK_HOURS="0",
        CAROLINA_CLOCK="2026-12-02T12:30:00-03:00",
    )
    service = Service("files-hub", [str(HUB_PYTHON), "-m", "bot", "serve"], port, "/api/health", env, workdir)
    try:
        yield service.start(timeout=120)
    finally:
        service.stop()


def attached(hub: Service, conversation_id: str):
    record = requests.get(f"{hub.url}/api/conversations/{conversation_id}", headers=actions_auth(conversation_id))
    assert record.status_code == 200, record.text
    return [m["payload"]["attachment"] for m in record.json()["messages"] if (m["payload"] or {}).get("attachment")]


def download(hub: Service, file_id: str) -> bytes:
    login = requests.post(f"{hub.url}/api/agent/login", json={"email": ADMIN, "password": PASSWORD}, timeout=10)
    got = requests.get(
        f"{hub.url}/api/attachments/{file_id}",
        headers={"Authorization": f"Bearer {login.json()['token']}"},
        timeout=30,
    )
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment;")
    return got.content


PASTE = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  const box = document.querySelector("#carolina-input");
  box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
}"""
DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
  const panel = document.querySelector(".carolina-panel");
  panel.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
  panel.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
}"""


def test_a_pasted_screenshot_and_other_files_reach_the_hub(files_hub, portal_server, page):  # noqa: F811
    (portal_server.root / "files.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title></head>'
        f'<body><h1>Portal</h1><script src="{files_hub.url}/static/widget.js" async></script></body></html>'
    )
    page.goto(f"{portal_server.origin}/files.html")
    page.get_by_role("button", name="Open the chat with Carolina").click()
    page.wait_for_function("document.querySelector('.carolina').dataset.conversation", timeout=30_000)
    conversation_id = page.evaluate("document.querySelector('.carolina').dataset.conversation")

    # A 1 MB screenshot pasted into the message box.
    screenshot = files.png(620, 580, noise=True)
    assert 1024 * 1024 < len(screenshot) < 1_150_000
    page.evaluate(PASTE, [base64.b64encode(screenshot).decode(), "image.png"])
    line = page.locator(".carolina-customer.carolina-file", has_text="image.png")
    line.wait_for(timeout=30_000)
    assert line.inner_text() == "📎 image.png (1 MB)"
    stored = attached(files_hub, conversation_id)
    assert [(f["filename"], f["size"], f["content_type"]) for f in stored] == [
        ("image.png", len(screenshot), "image/png")
    ]
    assert download(files_hub, stored[0]["id"]) == screenshot

    # The paperclip, from the keyboard: focus it, Enter opens the file picker.
    page.get_by_role("button", name="Attach a file").focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files({"name": "erro.log", "mimeType": "text/plain", "buffer": b"2026-12-02 ERROR nota\n"})
    page.locator(".carolina-file", has_text="erro.log").wait_for(timeout=30_000)

    # Dropped on the panel.
    page.evaluate(DROP, [base64.b64encode(files.pdf()).decode(), "relatorio.pdf"])
    page.locator(".carolina-file", has_text="relatorio.pdf").wait_for(timeout=30_000)

    # Refused, with the reason in the customer's language: too large (before any upload) and a disguised .exe.
    picker = page.locator(".carolina-file-input")
    picker.set_input_files({"name": "backup.zip", "mimeType": "application/zip", "buffer": b"\0" * (25 * 1024 * 1024)})
    too_large = page.locator(".carolina-error", has_text="backup.zip")
    too_large.wait_for(timeout=30_000)
    assert "Upload de arquivo" in too_large.inner_text() and "25 MB" in too_large.inner_text()
    picker.set_input_files({"name": "foto.png", "mimeType": "image/png", "buffer": files.exe()})
    wrong = page.locator(".carolina-error", has_text="foto.png")
    wrong.wait_for(timeout=30_000)
    assert wrong.inner_text().startswith("I can't take the file foto.png")
    assert [f["filename"] for f in attached(files_hub, conversation_id)] == ["image.png", "erro.log", "relatorio.pdf"]

    # After a reload the files come back from the record, once each.
    page.reload()
    page.get_by_role("button", name="Open the chat with Carolina").click()
    page.locator(".carolina-file", has_text="relatorio.pdf").wait_for(timeout=30_000)
    assert page.locator(".carolina-file").count() == 3
    assert page.dialogs == []
