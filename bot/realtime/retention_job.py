"""The retention job: the purge of what outlived its retention period
(bot/domain/retention.py), when a hub starts and then every
CAROLINA_RETENTION_CHECK_HOURS, a periodic job of the job loop
(bot/realtime/jobs.py): one hub of several runs it per period. Its log says how
many rows, events and files went, never which: no e-mail, name, text or id.
Two hubs starting together may both run it: a row one has deleted the other
no longer finds."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import retention
from bot.settings import Settings

logger = logging.getLogger(__name__)


async def run_once(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> retention.RetentionPlan:
    done = await retention.purge(sessions, settings)
    if done.total:
        logger.info("Retention: purged %s", done.describe())
    return done


async def check(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """One run for the job loop; a failure is logged here, by its type only, and
    the purge is tried again at the next period."""
    try:
        await run_once(sessions, settings)
    except retention.PeriodError as error:
        logger.error("Retention: %s; nothing was purged", error)
    except Exception as error:
        # The type only: a database error's message may quote the values it was given.
        logger.error(
            "Retention: the purge failed (%s); trying again in %s h",
            type(error).__name__,
            settings.retention_check_hours,
        )
