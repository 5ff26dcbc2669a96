"""Issue 17, finding 6: the widget resumes a conversation with a random token
of its own, stored hashed and expiring, never with the conversation id; on a
shared computer a logged-in customer is asked before an anonymous conversation
is attached to them."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from sqlalchemy import select, text, update

from bot.db import queries
from bot.db.models import Contact, Conversation, utc
from bot.domain.identity import Identity, sign
from tests.security.inprocess import SECRET, hub_settings, running_hub


def identity_token(external_id: str = "c-ana", language: str = "en") -> str:
    return sign(Identity(external_id, name="Ana", email="ana@example.com", language=language), SECRET)


def test_session_confirm_is_a_token_the_database_keeps_only_hashed(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            widget = await hub.widget()
            token = await widget.start()
            conversation_id = await hub.conversation_of(widget)
            assert token != conversation_id, "the widget's session id is not the conversation id"
            async with hub.sessions() as session:
                rows = (await session.execute(text("SELECT * FROM conversations"))).all()
                stored = await session.get(Conversation, conversation_id)
            assert not any(token in str(value) for row in rows for value in row), "no token in clear"
            assert stored is not None and stored.resume_hash == hashlib.sha256(token.encode()).hexdigest()
            assert stored.resume_expires_at is not None
            # The same token, from another tab or after a reconnect, resumes it.
            again = await hub.widget()
            assert await again.start(session_id=token) == token
            assert await hub.conversation_of(again) == conversation_id

    asyncio.run(scenario())


def test_a_conversation_id_presented_as_session_id_does_not_resume(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            owner = await hub.widget()
            await owner.start()
            conversation_id = await hub.conversation_of(owner)
            assert conversation_id
            stranger = await hub.widget()
            await stranger.start(session_id=conversation_id)
            assert await hub.conversation_of(stranger) != conversation_id

    asyncio.run(scenario())


def test_an_expired_token_starts_afresh_and_use_slides_the_expiry(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            widget = await hub.widget()
            token = await widget.start()
            conversation_id = await hub.conversation_of(widget)
            now = settings.clock.now()
            async with hub.sessions.begin() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id)
                    .values(resume_expires_at=now + timedelta(days=1))
                )
            # Used the day before it expires: good for another resume_days from now.
            again = await hub.widget()
            await again.start(session_id=token)
            assert await hub.conversation_of(again) == conversation_id
            async with hub.sessions() as session:
                slid = (await session.get_one(Conversation, conversation_id)).resume_expires_at
            assert slid is not None and utc(slid) > now + timedelta(days=settings.resume_days - 1)
            async with hub.sessions.begin() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id)
                    .values(resume_expires_at=now - timedelta(seconds=1))
                )
            late = await hub.widget()
            fresh = await late.start(session_id=token)
            assert fresh != token
            assert await hub.conversation_of(late) != conversation_id

    asyncio.run(scenario())


async def anonymous_conversation_with_a_message(hub, widget) -> tuple:
    token = await widget.start(language="en")
    conversation_id = await hub.conversation_of(widget)
    async with hub.sessions.begin() as session:
        await queries.add_message(session, conversation_id, "customer", "my invoice does not save")
    return token, conversation_id


async def contact_of(hub, conversation_id: str):
    async with hub.sessions() as session:
        conversation = await session.get_one(Conversation, conversation_id)
        if conversation.contact_id is None:
            return None
        return (await session.get_one(Contact, conversation.contact_id)).external_id


def test_an_anonymous_conversation_is_attached_to_a_login_only_when_the_customer_says_yes(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            widget = await hub.widget()
            token, earlier = await anonymous_conversation_with_a_message(hub, widget)
            # Ana logs in on the same page: the widget sends its token and her identity.
            await widget.client.emit("session_request", {"session_id": token, "token": identity_token()})
            fresh_token = await widget.expect("session_confirm")
            fresh = await hub.conversation_of(widget)
            # Until she answers, she is in a fresh conversation of her own and the
            # earlier one is nobody's (a stock rasa-webchat never answers: it stays so).
            assert fresh != earlier and fresh_token != token
            assert await contact_of(hub, earlier) is None
            assert await contact_of(hub, fresh) == "c-ana"
            offer = await widget.expect("resume_offer")
            assert offer["text"] and [b["payload"] for b in offer["buttons"]] == ["yes", "no"]
            assert offer["buttons"][0]["title"].startswith("Yes"), "in her language"
            await widget.client.emit("resume_answer", {"accept": True})
            resumed_token = await widget.expect("session_confirm")
            info = await widget.expect("session_info")
            assert info["conversation_id"] == earlier and info["resumed"]
            assert await hub.conversation_of(widget) == earlier
            assert await contact_of(hub, earlier) == "c-ana"
            # Her token now resumes the earlier conversation for her, and for nobody anonymous.
            tab = await hub.widget()
            await tab.start(session_id=resumed_token, token=identity_token())
            assert await hub.conversation_of(tab) == earlier
            stranger = await hub.widget()
            await stranger.start(session_id=resumed_token)
            assert await hub.conversation_of(stranger) != earlier

    asyncio.run(scenario())


def test_saying_no_keeps_the_earlier_conversation_apart_and_forgets_its_token(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            widget = await hub.widget()
            token, earlier = await anonymous_conversation_with_a_message(hub, widget)
            await widget.client.emit("session_request", {"session_id": token, "token": identity_token("c-bruno")})
            await widget.expect("session_confirm")
            await widget.expect("resume_offer")
            fresh = await hub.conversation_of(widget)
            await widget.client.emit("resume_answer", {"accept": False})
            await asyncio.sleep(0.3)
            assert await hub.conversation_of(widget) == fresh
            assert await contact_of(hub, earlier) is None
            # Another "yes" after the "no" changes nothing: the offer is gone.
            await widget.client.emit("resume_answer", {"accept": True})
            await asyncio.sleep(0.3)
            assert await hub.conversation_of(widget) == fresh and await contact_of(hub, earlier) is None
            async with hub.sessions() as session:
                kept = (
                    await session.execute(select(Conversation.resume_hash).where(Conversation.id == earlier))
                ).scalar()
            assert kept is None, "the earlier conversation's token no longer resumes it"

    asyncio.run(scenario())


def test_an_empty_anonymous_conversation_is_not_offered(tmp_path):
    settings = hub_settings(tmp_path)

    async def scenario() -> None:
        async with running_hub(settings) as hub:
            widget = await hub.widget()
            token = await widget.start()
            earlier = await hub.conversation_of(widget)
            await widget.client.emit("session_request", {"session_id": token, "token": identity_token()})
            await widget.expect("session_confirm")
            assert "resume_offer" not in [name for name, _ in await widget.seen()]
            assert await hub.conversation_of(widget) != earlier

    asyncio.run(scenario())
