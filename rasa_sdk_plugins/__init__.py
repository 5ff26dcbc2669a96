"""rasa-sdk's plugin hook (the package name is the one rasa_sdk looks for).

Builds the knowledge-base index as soon as the action server is up, in a worker
thread, so the first customer question does not wait for spaCy's lookup tables
and the index (about ten seconds on a small machine)."""

from __future__ import annotations

import asyncio
import logging

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)


class KnowledgeBaseWarmUp:
    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:  # type: ignore[no-untyped-def]
        @app.listener("after_server_start")
        async def warm_up(app, loop) -> None:  # type: ignore[no-untyped-def]
            from common.kb.search import default_index

            index = await asyncio.get_running_loop().run_in_executor(None, default_index)
            logger.info("Knowledge base ready: %d articles", len(index.ids))


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(KnowledgeBaseWarmUp())
