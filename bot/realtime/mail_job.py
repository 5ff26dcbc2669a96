"""The mail job: sends the queued e-mails (bot/domain/mail_queue.py) after the
commit that queued them. It wakes when kicked (a ticket was just created), when
the next retry is due, or every PERIOD seconds for mail queued elsewhere; a
handler may also try its own mail at once (send_now) to tell its caller. Every
hub runs it: each mail is claimed on its own row (mail_queue.claim_one, an
UPDATE that only one hub's transaction gets to make), so two hubs never send
one e-mail twice, unless one dies between sending it and recording it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Callable, List

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.adapters import mailer
from bot.db.models import OutgoingMail
from bot.domain import mail_queue
from bot.settings import Settings
from common.clock import Clock
from common.ids import short_id

logger = logging.getLogger(__name__)
# How often the job looks for due mail when nothing kicked it.
PERIOD = 60.0


class MailJob:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        now: Callable[[], datetime] = mail_queue.real_now,
    ) -> None:
        self.sessions, self.settings, self.clock, self.now = sessions, settings, clock, now
        self.wake = asyncio.Event()
        # A claimed mail is left alone this long (a sender that died releases it then).
        self.lease = settings.smtp_timeout * 2 + 60

    def kick(self) -> None:
        self.wake.set()

    async def send_now(self, mail_id: int) -> bool:
        """Tries the mail now if it is due and unclaimed; whether it went out."""
        async with self.sessions.begin() as session:
            mail = await mail_queue.claim_one(session, mail_id, self.now(), self.lease, self.settings.mail_max_attempts)
        return mail is not None and await self.attempt(mail)

    async def run_once(self) -> int:
        """Sends what is due; how many it tried."""
        async with self.sessions.begin() as session:
            due: List[OutgoingMail] = await mail_queue.claim_due(
                session, self.now(), self.lease, self.settings.mail_max_attempts
            )
        for mail in due:
            await self.attempt(mail)
        return len(due)

    async def attempt(self, mail: OutgoingMail) -> bool:
        try:
            where = await mailer.send(mailer.parse(mail.raw), self.settings)
        except Exception as error:  # a refused or unreachable server, or a message that cannot be sent
            await self.failed(mail, str(error) or type(error).__name__)
            return False
        async with self.sessions.begin() as session:
            await mail_queue.delivered(session, mail.id, where, self.now(), self.clock.now())
        return True

    async def failed(self, mail: OutgoingMail, error: str) -> None:
        settings = self.settings
        async with self.sessions.begin() as session:
            stored = await mail_queue.failed(
                session, mail.id, error, self.now(), settings.mail_retry_seconds, settings.mail_max_attempts
            )
        if stored.attempts >= settings.mail_max_attempts:
            logger.warning(
                "Mail %s to %s: giving up after %s attempts: %s",
                mail.id,
                short_id(mail.recipient),
                stored.attempts,
                error,
            )
        else:
            logger.info(
                "Mail %s to %s: attempt %s failed (%s); trying again later",
                mail.id,
                short_id(mail.recipient),
                stored.attempts,
                error,
            )
        self.wake.set()

    async def seconds_to_next(self) -> float:
        async with self.sessions() as session:
            due = await mail_queue.next_due(session, self.settings.mail_max_attempts)
        if due is None:
            return PERIOD
        return min(PERIOD, max(0.0, (due - self.now()).total_seconds()))

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            self.wake.clear()
            wait = PERIOD
            try:
                while await self.run_once():
                    pass
                wait = await self.seconds_to_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Sending the queued mail failed")
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass
