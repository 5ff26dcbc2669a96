"""Files go after retention_attachment_days (90), by the retention purge on the
injected clock: the file is deleted, the row stays marked, the ticket's thread
says so; a conversation purged later takes its attachments' rows along."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import keys
from bot.db.models import Attachment, Ticket, TicketMessage
from bot.db.session import make_sessions
from bot.domain import attachments, retention
from common.clock import Clock
from tests.attachments import files
from tests.attachments.hub import NOW, run, settings_for


def test_files_go_after_90_days_leaving_a_line_in_the_ticket(tmp_path):
    async def scenario(world):
        reply = await world.upload("tela.png", files.png())
        assert reply.status == 201
        file_id = (await reply.json())["id"]
        rui = await world.upload("log.txt", b"ERROR\n", conversation=world.other)
        assert rui.status == 201
        async with world.app[keys.SESSIONS].begin() as session:
            ticket = (await session.execute(select(Ticket).where(Ticket.number == world.number))).scalar_one()
            assert await attachments.link_to_ticket(session, world.conversation, ticket.id) == 1
        folder = tmp_path / "attachments"
        assert len(list(folder.iterdir())) == 2

        def at(days):
            return make_sessions(world.app[keys.ENGINE], Clock(NOW + timedelta(days=days)))

        early = await retention.purge(at(89), world.settings)
        assert early.counts["attachment_files"] == 0 and len(list(folder.iterdir())) == 2

        dry = await retention.purge(at(91), world.settings, dry_run=True)
        assert dry.counts["attachment_files"] == 2 and len(list(folder.iterdir())) == 2
        done = await retention.purge(at(91), world.settings)
        assert done.counts["attachment_files"] == 2
        assert list(folder.iterdir()) == []
        async with world.app[keys.SESSIONS]() as session:
            rows = list((await session.execute(select(Attachment).order_by(Attachment.id))).scalars())
            lines = list(
                (
                    await session.execute(
                        select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
                    )
                ).scalars()
            )
        assert [row.purged_at is not None for row in rows] == [True, True]
        assert (lines[-1].author, lines[-1].via, lines[-1].visibility) == ("system", "auto", "public")
        assert (
            lines[-1].text
            == "O arquivo tela.png foi apagado 90 dias depois do envio, como manda a política de retenção."
        )
        assert len(lines) == 1  # Rui's file belongs to no ticket: no line anywhere

        gone = await world.client.get(f"/api/attachments/{file_id}", headers=await world.bearer("root@support.example"))
        assert gone.status == 410
        assert (await retention.purge(at(92), world.settings)).counts["attachment_files"] == 0

        # Rui's conversation (no ticket) goes after 180 days, and its attachment's row with it.
        later = await retention.purge(at(181), world.settings)
        assert (later.counts["conversations"], later.counts["attachments"]) == (1, 1)
        async with world.app[keys.SESSIONS]() as session:
            left = list((await session.execute(select(Attachment.conversation_id))).scalars())
        assert left == [world.conversation]

    run(settings_for(tmp_path), scenario)
