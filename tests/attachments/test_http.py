"""POST /api/attachments and GET /api/attachments/{id}: the customer with their
conversation's upload token, analysts with their session; always a download;
nobody else gets it (404); refusals in the customer's language; every call audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import quote

import aiohttp
from sqlalchemy import select

from bot import keys
from bot.db import queries
from bot.db.models import Attachment, AuditEntry
from bot.domain import attachments
from tests.attachments import files
from tests.attachments.hub import ADMIN, BIA, CAIO, NOW, PORTAL, run, settings_for


async def audit_entries(world, action):
    async with world.app[keys.SESSIONS]() as session:
        rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return list(rows.scalars())


def test_the_customer_uploads_and_only_those_who_may_download(tmp_path):
    async def scenario(world):
        image = files.png(8, 8)
        reply = await world.upload("Captura de tela.png", image)
        assert reply.status == 201, await reply.text()
        stored = await reply.json()
        assert stored["filename"] == "Captura de tela.png" and stored["size"] == len(image)
        assert stored["content_type"] == "image/png" and len(stored["id"]) >= 20
        file_id = stored["id"]

        # The file is the customer's message in the conversation (its name; the file in the payload).
        async with world.app[keys.SESSIONS]() as session:
            last = (await queries.transcript(session, world.conversation))[-1]
            row = (await session.execute(select(Attachment).where(Attachment.public_id == file_id))).scalar_one()
        assert (last.sender, last.text) == ("customer", "Captura de tela.png")
        assert last.payload["attachment"] == stored and row.message_id == last.id
        assert (row.uploaded_by, row.conversation_id, row.sha256) == ("customer", world.conversation, row.sha256)
        # Stored under a random name, not the customer's.
        assert (tmp_path / "attachments" / row.storage_key).read_bytes() == image

        path = f"/api/attachments/{file_id}"
        for email in (ADMIN, BIA):
            got = await world.client.get(path, headers=await world.bearer(email))
            assert got.status == 200, await got.text()
            assert await got.read() == image
            assert got.headers["Content-Disposition"] == (
                "attachment; filename=\"Captura de tela.png\"; filename*=UTF-8''Captura%20de%20tela.png"
            )
            assert got.headers["X-Content-Type-Options"] == "nosniff"
            assert got.headers["Content-Security-Policy"] == "sandbox"
            assert got.headers["Content-Type"] == "image/png"
        # The customer of the conversation may have it back.
        own = await world.client.get(
            path, params={"conversation_id": world.conversation}, headers=world.upload_headers()
        )
        assert own.status == 200 and await own.read() == image

        # Nobody else: another customer, an analyst of other queues (404, as if there were no such file),
        # a forged token or nobody at all (401).
        other = await world.client.get(
            path, params={"conversation_id": world.other}, headers=world.upload_headers(world.other)
        )
        assert other.status == 404
        caio = await world.client.get(path, headers=await world.bearer(CAIO))
        assert caio.status == 404
        forged = await world.client.get(
            path, params={"conversation_id": world.conversation}, headers={"X-Carolina-Upload": "forged"}
        )
        assert forged.status == 401
        world.client.session.cookie_jar.clear()  # the logins above left a cookie
        assert (await world.client.get(path)).status == 401
        assert (await world.client.get("/api/attachments/nosuchfile", headers=await world.bearer(ADMIN))).status == 404

        # Audited: the upload (the customer) and each download, refusals included.
        uploads = await audit_entries(world, "attachment_upload")
        assert [(e.actor, e.target, e.detail["status"]) for e in uploads] == [("customer", file_id, 201)]
        downloads = await audit_entries(world, "download_attachment")
        assert [(e.actor, e.detail["status"]) for e in downloads] == [
            ("agent", 200),
            ("agent", 200),
            ("customer", 200),
            ("customer", 404),
            ("agent", 404),
            ("agent", 404),  # no such file
        ]
        assert all(e.target == file_id for e in downloads[:-1]) and downloads[-1].target == "nosuchfile"

    run(settings_for(tmp_path), scenario)


def test_refusals_say_why_in_the_customers_language(tmp_path):
    async def scenario(world):
        # Rui's conversation is in Spanish.
        exe = await world.upload("foto.png", files.exe(), conversation=world.other)
        assert exe.status == 422
        body = await exe.json()
        assert body["error"] == "file_type" and body["message"].startswith("No puedo recibir el archivo foto.png")

        big = await world.upload("backup.log", b"x" * (25 * 1024 * 1024))
        assert big.status == 413
        body = await big.json()
        assert body["error"] == "too_large" and "Upload de arquivo" in body["message"] and "20 MB" in body["message"]
        assert "3 meses" in body["message"]

        wrong_body = await world.client.post(
            "/api/attachments",
            params={"conversation_id": world.conversation},
            json={"file": "x"},
            headers=world.upload_headers(),
        )
        assert wrong_body.status == 415
        async with world.app[keys.SESSIONS]() as session:
            assert (await session.execute(select(Attachment))).first() is None
            assert [m.text for m in await queries.transcript(session, world.conversation)][-1] != "foto.png"
        assert not any((tmp_path / "attachments").iterdir()) if (tmp_path / "attachments").exists() else True

    run(settings_for(tmp_path), scenario)


def test_a_body_that_hides_its_size_is_stopped_at_the_limit(tmp_path):
    """Within the framing allowance of the up-front check, the count of the bytes stops it."""

    async def scenario(world):
        reply = await world.upload("grande.txt", b"a" * (1024 * 1024 + 10_000))
        assert reply.status == 413, await reply.text()
        assert not list((tmp_path / "attachments").iterdir())
        exact = await world.upload("ok.txt", b"a" * (1024 * 1024))
        assert exact.status == 201

    run(settings_for(tmp_path, attachment_max_bytes=1024 * 1024), scenario)


def test_analysts_upload_with_their_session(tmp_path):
    async def scenario(world):
        bia = await world.bearer(BIA)
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", files.pdf(), filename="solução.pdf")
        reply = await world.client.post("/api/attachments", data=form, headers=bia)
        assert reply.status == 201, await reply.text()
        stored = await reply.json()
        assert stored["content_type"] == "application/pdf"
        async with world.app[keys.SESSIONS]() as session:
            row = (await session.execute(select(Attachment).where(Attachment.public_id == stored["id"]))).scalar_one()
        assert (row.uploaded_by, row.conversation_id, row.message_id) == ("agent", None, None)
        # Bia reads her own file; Caio does not.
        assert (await world.client.get(f"/api/attachments/{stored['id']}", headers=bia)).status == 200
        got = await world.client.get(f"/api/attachments/{stored['id']}", headers=await world.bearer(CAIO))
        assert got.status == 404
        disposition = (await world.client.get(f"/api/attachments/{stored['id']}", headers=bia)).headers
        assert disposition["Content-Disposition"].endswith("filename*=UTF-8''" + quote("solução.pdf", safe=""))

        # With the console's cookie, the CSRF header is needed.
        login = await world.client.post("/api/agent/login", json={"email": BIA, "password": "a long enough password 1"})
        csrf = (await login.json())["csrf_token"]
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", files.png(), filename="tela.png")
        assert (await world.client.post("/api/attachments", data=form)).status == 403
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", files.png(), filename="tela.png")
        assert (await world.client.post("/api/attachments", data=form, headers={"X-CSRF-Token": csrf})).status == 201
        # No session, no token: 401.
        world.client.session.cookie_jar.clear()
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", files.png(), filename="tela.png")
        assert (await world.client.post("/api/attachments", data=form)).status == 401

    run(settings_for(tmp_path), scenario)


def test_a_purged_file_is_gone_and_a_link_token_expires(tmp_path):
    async def scenario(world):
        reply = await world.upload("tela.png", files.png())
        file_id = (await reply.json())["id"]
        link = attachments.download_token(world.settings, file_id, NOW)
        got = await world.client.get(f"/api/attachments/{file_id}", params={"t": link})
        assert got.status == 200
        stale = attachments.download_token(world.settings, file_id, NOW - timedelta(hours=1))
        assert (await world.client.get(f"/api/attachments/{file_id}", params={"t": stale})).status == 404
        other = attachments.download_token(world.settings, "another", NOW)
        assert (await world.client.get(f"/api/attachments/{file_id}", params={"t": other})).status == 404

        async with world.app[keys.SESSIONS].begin() as session:
            row = (await session.execute(select(Attachment).where(Attachment.public_id == file_id))).scalar_one()
            removed = await attachments.purge_expired(
                session, attachments.storage_of(world.settings), world.settings, NOW + timedelta(days=91)
            )
        assert removed == 1
        gone = await world.client.get(f"/api/attachments/{file_id}", headers=await world.bearer(ADMIN))
        assert gone.status == 410 and (await gone.json())["error"] == "purged"
        assert not (tmp_path / "attachments" / row.storage_key).exists()

    run(settings_for(tmp_path), scenario)


def test_the_portal_page_may_call_cross_origin(tmp_path):
    async def scenario(world):
        preflight = await world.client.options(
            "/api/attachments",
            headers={
                "Origin": PORTAL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-carolina-upload",
            },
        )
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == PORTAL
        assert "X-Carolina-Upload" in preflight.headers["Access-Control-Allow-Headers"]
        headers = {**world.upload_headers(), "Origin": PORTAL}
        ok = await world.upload("tela.png", files.png(), headers=headers)
        assert ok.status == 201 and ok.headers["Access-Control-Allow-Origin"] == PORTAL
        refused = await world.upload("tela.png", files.exe(), headers=headers)
        assert refused.status == 422 and refused.headers["Access-Control-Allow-Origin"] == PORTAL
        elsewhere = await world.upload("tela.png", files.png(), headers={**headers, "Origin": "http://evil.test"})
        assert "Access-Control-Allow-Origin" not in elsewhere.headers

    run(replace(settings_for(tmp_path)), scenario)
