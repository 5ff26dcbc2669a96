"""What a customer clicked, as people read it (bot/domain/messages.py,
bot/domain/conversations.py clicked_title, bot/domain/transcripts.py): the hub
keeps the title of the button next to the command it sent, from Carolina's own
buttons first, else the widget's word for it (capped and masked); transcripts
and their exports show the title and the field it answered, never the command;
a doubtful understanding is marked; a search folds accents and shows where
the words are. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bot.db import queries
from bot.db.models import Handoff
from bot.domain import transcripts
from bot.domain.conversations import store_customer_message
from bot.domain.messages import answered, shown
from tests.console import seed
from tests.ticket_life.test_deadlines import run

ORIGIN = '/inform{"incident_origin": "production"}'
BUTTONS = {"buttons": [{"title": "Produção", "payload": ORIGIN}, {"title": "Implantação", "payload": "/inform{}"}]}


def test_a_click_is_stored_with_its_title_and_read_as_it(database_url, tmp_path):
    async def scenario(sessions, clock, settings):
        async with sessions.begin() as session:
            who = await seed.contact(session, language="pt")
            chat = await seed.conversation(session, who, "pt")
            await queries.add_message(session, chat.id, "bot", "Onde acontece?", BUTTONS)
            ana = await seed.analyst(session, "ana@support.example", [], role="admin")
            session.add(Handoff(conversation_id=chat.id, queue="technical_support", status="closed"))
        # Carolina's own title wins over what a page claims it showed.
        clicked = await store_customer_message(sessions, chat.id, ORIGIN, "m1", {}, "<b>forged</b>")
        # A button the hub has no record of: the widget's title, masked (a CPF in it) and capped.
        offered = await store_customer_message(
            sessions, chat.id, "/affirm", "m2", {}, "Sim, abrir 529.982.247-25 " + "x" * 300
        )
        typed = await store_customer_message(
            sessions, chat.id, "a nota não sai de jeito nenhum rejeição", "m3", {}, "Sim"
        )
        async with sessions.begin() as session:
            await queries.record_understanding(session, typed[0].id, "affirm", 0.21, "pt")
            record = await transcripts.transcript(session, ana, chat.id)
            found = await transcripts.search(session, ana, transcripts.Filters(words="REJEICAO"))
            missing = await transcripts.search(session, ana, transcripts.Filters(words="inform"))
        return clicked[0], offered[0], typed[0], record, found, missing

    clicked, offered, typed, record, found, missing = run(database_url, tmp_path, scenario)
    assert (clicked.text, clicked.title) == (ORIGIN, "Produção")
    assert (
        offered.title.startswith("Sim, abrir ") and "529.982.247-25" not in offered.title and len(offered.title) <= 200
    )
    assert typed.title is None, "a typed line has no title"
    lines = [m for m in record["messages"] if m["sender"] == "customer"]
    assert (
        lines[0]["text"] == "Produção"
        and lines[0]["answered"] == {"origin": "production"}
        and lines[0]["intent"] is None
    )
    assert lines[1]["answered"] == {} and lines[1]["text"].startswith("Sim, abrir")
    assert lines[2]["answered"] is None and lines[2]["intent"] == "affirm" and lines[2]["low_confidence"] is True
    exported = transcripts.as_text(record, "America/Sao_Paulo") + transcripts.as_json(record)
    assert "/inform" not in exported and "/affirm" not in exported and "Produção" in exported
    assert "origin: production" in transcripts.as_text(record) and "affirm 0.21 low" in transcripts.as_text(record)
    assert "-03" in transcripts.as_text(record, "America/Sao_Paulo") and "UTC" in transcripts.as_text(
        record, "Nowhere/Atlantis"
    )
    assert [c["snippet"] for c in found] == ["a nota não sai de jeito nenhum rejeição"]
    assert missing == [], "the commands are not searched, the titles are"


def test_a_command_stored_before_titles_shows_nothing_of_itself():
    old = SimpleNamespace(
        id=1,
        sender="customer",
        text='/inform{"incident_affected_users": "some"}',
        title=None,
        payload=None,
        intent="inform",
        confidence=0.99,
        language="pt",
        client_message_id=None,
        created_at=None,
    )
    data = shown(old)  # type: ignore[arg-type]
    assert data["text"] == "" and data["answered"] == {"affected_users": "some"} and data["intent"] is None
    assert answered("/affirm") == {} and answered("sim, pode abrir") is None and answered("/x{not: json}") == {}
    assert json.dumps(data)  # plain data


def test_a_typed_answer_to_a_form_shows_the_field_it_answers_not_an_intent(database_url, tmp_path):
    from bot.adapters.rasa_client import Understood
    from bot.domain.conversations import record_understood

    async def scenario(sessions, clock, settings):
        async with sessions.begin() as session:
            who = await seed.contact(session, language="pt")
            chat = await seed.conversation(session, who, "pt")
            ana = await seed.analyst(session, "ana@support.example", [], role="admin")
            session.add(Handoff(conversation_id=chat.id, queue="technical_support", status="closed"))
        product = await store_customer_message(sessions, chat.id, "protheus", "m1", {}, None)
        chatting = await store_customer_message(sessions, chat.id, "qual o horário?", "m2", {}, None)
        async with sessions.begin() as session:
            # channels/hub.py says the form was asking for the product (NLU guessed "greet").
            await record_understood(session, product[0], Understood("greet", 0.55, "pt", "incident_product"))
            await record_understood(session, chatting[0], Understood("faq", 0.97, "pt"))
            record = await transcripts.transcript(session, ana, chat.id)
        return record

    record = run(database_url, tmp_path, scenario)
    lines = [m for m in record["messages"] if m["sender"] == "customer"]
    assert lines[0]["form_field"] == "product" and lines[0]["intent"] is None and lines[0]["text"] == "protheus"
    assert lines[1]["form_field"] is None and lines[1]["intent"] == "faq"
    assert "[answers product]" in transcripts.as_text(record) and "greet" not in transcripts.as_text(record)
