"""rasa-sdk's plugin hook (the package name is the one rasa_sdk looks for).

Builds the knowledge-base index as soon as the action server is up, in a worker
thread, so the first customer question does not wait for spaCy's lookup tables
and the index (about ten seconds on a small machine)."""

from __future__ import annotations

import asyncio
import logging
import os

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


class Loopback:
    """The action server listens on loopback, however it is started: rasa-sdk
    binds SANIC_HOST (0.0.0.0 by default), read after this hook runs. Only Rasa,
    on the same host, calls it; its webhook has no authentication of its own."""

    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:  # type: ignore[no-untyped-def]
        wanted = os.environ.get("SANIC_HOST")
        if wanted not in ("127.0.0.1", "::1", "localhost"):
            if wanted:
                logger.warning("SANIC_HOST=%s ignored: the action server listens on 127.0.0.1 only", wanted)
            os.environ["SANIC_HOST"] = "127.0.0.1"


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(KnowledgeBaseWarmUp())
    manager.register(Loopback())
