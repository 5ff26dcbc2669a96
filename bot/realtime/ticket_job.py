"""The ticket job: every CAROLINA_TICKET_CHECK_SECONDS, moves the tickets whose
deadline passed and sends the warnings due (bot/domain/ticket_status.run_due,
by the hub's clock), then tells the customers who are in the widget. A periodic
job of the job loop (bot/realtime/jobs.py): with several hubs one runs it per
period; a hub that starts runs it at once, catching up what fell due while
none ran."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import socketio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ticket_status
from bot.realtime import ticket_news
from bot.realtime.mail_job import MailJob
from bot.settings import Settings

logger = logging.getLogger(__name__)


async def run_once(
    sio: socketio.AsyncServer,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    mail: Optional[MailJob] = None,
) -> Dict[str, Any]:
    now = settings.clock.now()
    done = await ticket_status.run_due(sessions, settings, now)
    if done["moved"] or done["warned"]:
        logger.info("Tickets moved past their deadline: %s; warned: %s", done["moved"], done["warned"])
        # The warning and survey e-mails just queued go now, not at the mail job's next look (a minute).
        if mail is not None:
            mail.kick()
    await ticket_news.deliver_quietly(sio, sessions, done["contacts"], now)
    return done
