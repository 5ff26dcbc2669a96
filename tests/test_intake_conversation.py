"""The intake end to end: a socket.io customer (the widget's protocol), the hub,
the real Rasa model and the action server, from "I have an error" to a ticket
whose stored transcript is, message by message, what the customer saw, and
every branch: stop, a question in the middle, a correction, an anonymous or
blocked customer, a suggestion, a duplicate, an article that solves it, the
status of a ticket and a follow-up.

Where the form is, is read from Rasa's tracker (`requested_slot`), not from the
wording of Carolina's messages."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Dict, List, Optional

import pytest
import requests

from bot.domain.identity import Identity, sign
from tests.conftest import IDENTITY_SECRET, actions_auth, set_status_in_console
from tests.test_hub_widget import Customer

REPORT = {
    "pt": "o Protheus 12.1.2310 no Oracle trava ao emitir nota fiscal de saída",
    "es": "el Protheus 12.1.2310 en Oracle da error al emitir la factura de venta",
    "en": "Protheus 12.1.2310 on Oracle throws an error when issuing a sales invoice",
}
DESCRIPTION = {
    "pt": "ao confirmar a nota aparece a mensagem de chave duplicada na tabela SF2 e nada é gravado",
    "es": "al confirmar la factura aparece el mensaje de clave duplicada en la tabla SF2 y no se graba nada",
    "en": "when I confirm the invoice a duplicate key message on table SF2 appears and nothing is saved",
}
ROUTINE = {"pt": "faturamento, nota de saída", "es": "facturación, factura de venta", "en": "billing, sales invoice"}
EXPECTED = {
    "pt": "a nota deveria ser gravada",
    "es": "la factura debería grabarse",
    "en": "the invoice should be saved",
}
SINCE = {"pt": "desde ontem", "es": "desde ayer", "en": "since yesterday"}
DONT_KNOW = {"pt": "não sei", "es": "no sé", "en": "I don't know"}
COPY_SAYS = {"pt": "copia o", "es": "copia a", "en": "please copy"}


def inform(**entities: str) -> str:
    return "/inform" + json.dumps(entities)


class Chat(Customer):
    """A customer with a portal identity, and a view of where Rasa's form is."""

    def __init__(self, hub_url: str, rasa_url: str, lang: str, identity: Optional[Identity] = None) -> None:
        super().__init__(hub_url)
        self.rasa_url, self.lang = rasa_url, lang
        self.seen: List[tuple] = []  # (sender, text) as people read them, in order
        self.offered: Dict[str, str] = {}  # payload -> title of the buttons Carolina showed last
        token = sign(identity, IDENTITY_SECRET) if identity else None
        self.start(token=token, language=lang) if token else self.start(language=lang)

    def say(self, text: str, **custom: Any) -> List[Dict[str, Any]]:
        replies = super().say(text, language=self.lang, **custom)
        errors = [r["metadata"]["error"] for r in replies if (r.get("metadata") or {}).get("error")]
        assert not errors, f"the hub refused {text!r}: {errors}"
        # A command is read as the title of the button that sent it (the hub keeps it: issue 23).
        self.seen.append(("customer", self.offered.get(text, "") if text.startswith("/") else text))
        self.seen += [("bot", r.get("text") or "") for r in replies]
        self.offered = {b["payload"]: b["title"] for r in replies for b in r.get("quick_replies") or []}
        return replies

    def tracker(self) -> Dict[str, Any]:
        return requests.get(f"{self.rasa_url}/conversations/{self.conversation_id}/tracker", timeout=10).json()

    def asked(self) -> Optional[str]:
        tracker = self.tracker()
        if not (tracker.get("active_loop") or {}).get("name"):
            return None
        return tracker["slots"].get("requested_slot")

    def slot(self, name: str) -> Any:
        return self.tracker()["slots"].get(name)

    @property
    def auth(self) -> Dict[str, str]:
        """As the action server, about this conversation."""
        return actions_auth(self.conversation_id)

    def conversation(self) -> Dict[str, Any]:
        reply = requests.get(f"{self.url}/api/conversations/{self.conversation_id}", headers=self.auth, timeout=10)
        return reply.json()

    def ticket(self, number: str) -> Dict[str, Any]:
        reply = requests.get(
            f"{self.url}/api/tickets/{number}",
            params={"conversation_id": self.conversation_id},
            headers=self.auth,
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()


def person(lang: str, **changes: Any) -> Identity:
    tag = uuid.uuid4().hex[:8]
    values = dict(
        external_id=f"contact-{tag}",
        name="Ana",
        email=f"ana.{tag}@example.com",
        company="Acme",
        company_code=f"ACME-{tag}",
        language=lang,
    )
    values.update(changes)
    return Identity(**values)


@pytest.fixture
def chat(hub_service, rasa_server):
    opened: List[Chat] = []

    def open_chat(lang: str, identity: Optional[Identity] = None, anonymous: bool = False) -> Chat:
        c = Chat(hub_service.url, rasa_server, lang, None if anonymous else identity or person(lang))
        c.url = hub_service.url
        opened.append(c)
        return c

    yield open_chat
    for c in opened:
        c.close()


def buttons(replies: List[Dict[str, Any]]) -> List[str]:
    return [b["payload"] for r in replies for b in r.get("quick_replies") or r.get("buttons") or []]


def number_in(replies: List[Dict[str, Any]]) -> Optional[str]:
    for reply in replies:
        found = re.search(r"\b\d{4}-\d{6}\b", reply.get("text") or "")
        if found:
            return found.group(0)
    return None


def fill_to_summary(c: Chat, lang: str) -> List[Dict[str, Any]]:
    """From the first message to the summary, answering every question; returns the last replies."""
    replies = c.say(REPORT[lang])
    # Product, version, database and the summary came with the first message.
    assert c.slot("incident_product") == "Protheus" and c.slot("incident_version") == "12.1.2310"
    assert c.slot("incident_database") == "Oracle" and c.slot("incident_summary") == REPORT[lang]
    assert c.asked() == "incident_category"
    assert inform(incident_category="bug") in buttons(replies)
    answers = {
        "incident_category": inform(incident_category="bug"),
        "incident_routine": ROUTINE[lang],
        "incident_origin": inform(incident_origin="production"),
        "incident_system_environment": inform(incident_system_environment="staging"),
        "incident_cloud": "/deny",
        "incident_description": DESCRIPTION[lang],
        "incident_steps": DONT_KNOW[lang],
        "incident_expected": EXPECTED[lang],
        "incident_since": SINCE[lang],
        "incident_after_update": "/deny",
        "incident_affected_users": inform(incident_affected_users="all"),
        "incident_operation_stopped": inform(incident_operation_stopped="partly"),
        "intake_related": "/deny",
    }
    asked = []
    while c.asked() in answers and len(asked) < 20:
        asked.append(c.asked())
        replies = c.say(answers[asked[-1]])
    assert asked[:12] == [s for s in answers if s != "intake_related"], asked
    assert c.asked() == "intake_confirmed"
    assert c.slot("incident_steps") == "unknown" and c.slot("incident_since_date")
    return replies


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_from_i_have_an_error_to_a_ticket_with_the_whole_conversation(chat, mail_server, lang):
    identity = person(lang)
    c = chat(lang, identity)
    summary = fill_to_summary(c, lang)
    assert "/affirm" in buttons(summary) and "/deny" in buttons(summary)
    assert any("12.1.2310" in (r.get("text") or "") for r in summary), "the summary shows the gathered fields"
    # Someone else copied on the ticket's e-mails: a wrong address is refused and asked again.
    assert inform(intake_confirmed="cc") in buttons(summary)
    c.say(inform(intake_confirmed="cc"))
    assert c.asked() == "intake_copy"
    refused = c.say(f"{COPY_SAYS[lang]} gerente@empresa")
    assert c.asked() == "intake_copy" and "gerente@empresa" in " ".join(r.get("text") or "" for r in refused)
    copy = f"gerente.{uuid.uuid4().hex[:6]}@acme.example"
    again = c.say(f"{COPY_SAYS[lang]} {copy}")
    assert c.asked() == "intake_confirmed" and c.slot("intake_cc") == [copy]
    assert any(copy in (r.get("text") or "") for r in again), "the summary again, with the copy"
    done = c.say("/affirm")
    number = number_in(done)
    assert number, done
    assert c.asked() is None and c.slot("incident_summary") is None, "the intake is over and cleared"

    ticket = c.ticket(number)
    assert ticket["fields"]["product"] == "Protheus" and ticket["fields"]["database"] == "Oracle"
    assert (ticket["fields"]["origin"], ticket["fields"]["system_environment"]) == ("production", "staging")
    assert ticket["fields"]["description"] == DESCRIPTION[lang] and ticket["fields"]["steps"] == "unknown"
    # affected: all -> impact high; stopped: partly -> urgency medium -> criticality high.
    assert (ticket["impact"], ticket["urgency"], ticket["criticality"]) == ("high", "medium", "high")
    assert ticket["language"] == lang and ticket["status"] == "open"
    # The stored transcript is what the client saw, message by message, up to the confirmation.
    stored = [(m["sender"], m["text"]) for m in ticket["transcript"]]
    assert stored == c.seen[: len(stored)] and stored[-1][0] == "customer"
    assert stored[-1][1] and not stored[-1][1].startswith("/"), "the confirmation reads as its button's title"
    assert len(stored) == len(c.seen) - len(done)
    mails = mail_server.to(identity.email)
    assert len(mails) == 1 and number in mails[0]["Subject"]
    assert mails[0]["Cc"] == copy, "the extra recipient is copied"
    assert DESCRIPTION[lang] in mails[0].get_content()


STOP = {
    "pt": "cancela tudo, não quero mais abrir o chamado",
    "es": "cancela todo, ya no quiero abrir la solicitud",
    "en": "never mind, I don't want to open a ticket anymore",
}
QUESTION = {
    "pt": "qual é o horário de atendimento do suporte técnico?",
    "es": "¿cuál es el horario de atención del soporte técnico?",
    "en": "what are the support team's opening hours?",
}


DISCARD = {"pt": "sim, pode descartar", "es": "sí, descártalo", "en": "yes, discard it"}
KEEP = {"pt": "não, vamos continuar", "es": "no, sigamos", "en": "no, let's keep going"}
LATER = {
    "pt": "vamos continuar o chamado",
    "es": "continuemos con la solicitud",
    "en": "let's continue with the ticket",
}


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_stop_in_the_middle_asks_before_discarding_then_creates_nothing(chat, lang):
    c = chat(lang)
    c.say(REPORT[lang])
    c.say(inform(incident_category="bug"))
    replies = c.say(STOP[lang])
    assert "/affirm" in buttons(replies) and "/deny" in buttons(replies), "discard what was told? asked first"
    assert c.asked() is None and c.slot("incident_category") == "bug", "kept while she asks"
    c.say(DISCARD[lang])
    assert c.asked() is None and c.slot("incident_category") is None
    assert c.slot("incident_product") == "Protheus", "what the customer's installation is stays known"
    open_tickets = requests.get(
        f"{c.url}/api/tickets",
        params={"conversation_id": c.conversation_id, "similar_to": REPORT[lang]},
        headers=c.auth,
    )
    assert open_tickets.json() == {"tickets": []}


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_a_stop_kept_resumes_where_it_was_now_or_later(chat, lang):
    c = chat(lang)
    c.say(REPORT[lang])
    c.say(inform(incident_category="bug"))
    assert c.asked() == "incident_routine"
    c.say(STOP[lang])
    c.say(KEEP[lang])
    assert c.asked() == "incident_routine" and c.slot("incident_category") == "bug", "no answer lost"
    c.say(STOP[lang])
    c.say(QUESTION[lang])  # the customer moves on without answering "discard?"
    assert c.asked() is None and c.slot("incident_category") == "bug"
    c.say(LATER[lang])
    assert c.asked() == "incident_routine" and c.slot("incident_summary") == REPORT[lang]


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_a_question_in_the_middle_is_answered_then_the_form_goes_on(chat, lang):
    c = chat(lang)
    c.say(REPORT[lang])
    c.say(inform(incident_category="bug"))
    assert c.asked() == "incident_routine"
    replies = c.say(QUESTION[lang])
    assert any(f"/kb/{lang}/support_hours" in (r.get("text") or "") for r in replies), replies
    assert c.asked() == "incident_routine", "the same question comes back"


def test_an_unknown_product_offers_the_closest(chat):
    c = chat("es")
    c.say("necesito abrir una solicitud")
    c.say(inform(incident_category="question"))
    assert c.asked() == "incident_product"
    replies = c.say("Protheos")
    assert inform(product="Protheus") in buttons(replies) and c.asked() == "incident_product"
    c.say(inform(product="Protheus"))
    assert c.slot("incident_product") == "Protheus" and c.asked() == "incident_routine"


def test_a_correction_at_the_summary_changes_the_field(chat):
    c = chat("pt")
    fill_to_summary(c, "pt")
    replies = c.say("na verdade o banco é SQL Server")
    assert c.slot("incident_database") == "SQL Server"
    assert c.asked() == "intake_confirmed" and any("SQL Server" in (r.get("text") or "") for r in replies)


OPEN = {"pt": "preciso abrir um chamado", "es": "necesito abrir una solicitud", "en": "I need to open a ticket"}


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_anonymous_customer_is_asked_to_log_in_and_carries_on_after(chat, lang):
    c = chat(lang, anonymous=True)
    c.say(REPORT[lang])
    assert c.asked() is None
    assert not c.conversation().get("contact")
    # Logging in on the same page: asked whether to carry on (a shared computer
    # must not hand the chat to whoever logs in next), yes continues the same conversation.
    earlier = c.conversation_id
    identity = person(lang)
    c.client.emit("session_request", {"session_id": c.session_id, "token": sign(identity, IDENTITY_SECRET)})
    assert c.confirmed() != earlier, "a fresh conversation until the customer answers"
    offer = c.expect("resume_offer")
    assert [b["payload"] for b in offer["buttons"]] == ["yes", "no"]
    c.client.emit("resume_answer", {"accept": True})
    assert c.confirmed() == earlier
    c.say("/open_ticket")  # the greeting's "open a ticket" button
    assert c.asked() == "incident_category"
    assert c.slot("incident_product") == "Protheus", "what was said before logging in is kept"


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_blocked_company_is_sent_to_the_financial_centre(chat, lang):
    c = chat(lang, person(lang, can_open_tickets=False))
    c.say(REPORT[lang])
    assert c.asked() is None
    assert "CST" in " ".join(text for _, text in c.seen)


@pytest.mark.parametrize("lang,marker", [("pt", "Colaboração"), ("es", "Colaboración"), ("en", "Collaboration")])
def test_improvement_suggestion_goes_to_the_collaboration_portal(chat, lang, marker):
    c = chat(lang)
    c.say(OPEN[lang])
    c.say(inform(incident_category="suggestion"))
    assert c.asked() is None
    assert marker in " ".join(text for _, text in c.seen)


def test_same_problem_again_is_added_to_the_open_ticket(chat):
    identity = person("pt")
    first = chat("pt", identity)
    fill_to_summary(first, "pt")
    number = number_in(first.say("/affirm"))
    second = chat("pt", identity)
    second.say("o Protheus continua dando erro ao emitir a nota fiscal de saída, agora na filial 2")
    answers = {
        "incident_category": inform(incident_category="bug"),
        "incident_routine": "faturamento",
        "incident_version": "12.1.2310",
        "incident_origin": inform(incident_origin="production"),
        "incident_system_environment": inform(incident_system_environment="production"),
        "incident_database": "Oracle",
        "incident_cloud": "/deny",
        "incident_description": DESCRIPTION["pt"] + " também na filial 2",
        "incident_steps": "não sei",
        "incident_expected": "não sei",
        "incident_since": "não sei",
        "incident_affected_users": inform(incident_affected_users="some"),
        "incident_operation_stopped": inform(incident_operation_stopped="no"),
    }
    for _ in range(len(answers)):
        if second.asked() not in answers:
            break
        second.say(answers[second.asked()])
    assert second.asked() == "intake_duplicate"
    assert any(number in text for _, text in second.seen[-2:])
    replies = second.say("/affirm")
    assert number in " ".join(r.get("text") or "" for r in replies)
    ticket = second.ticket(number)
    assert ticket["updates"] and "filial 2" in ticket["updates"][0]["fields"]["description"]


def test_an_article_that_solves_it_opens_no_ticket(chat):
    c = chat("pt")
    c.say("preciso abrir um chamado")
    answers = {
        "incident_category": inform(incident_category="question"),
        "incident_product": "Portal do Cliente",
        "incident_routine": "login no portal",
        "incident_version": "12.1.2310",
        "incident_origin": inform(incident_origin="production"),
        "incident_system_environment": inform(incident_system_environment="production"),
        "incident_database": "Oracle",
        "incident_cloud": "/deny",
        "incident_summary": "esqueci a senha do portal do cliente",
        "incident_description": "esqueci minha senha de acesso ao portal do cliente e não consigo redefinir a senha",
        "incident_steps": "não sei",
        "incident_expected": "não sei",
        "incident_since": "não sei",
        "incident_affected_users": inform(incident_affected_users="one"),
        "incident_operation_stopped": inform(incident_operation_stopped="no"),
    }
    replies: List[Dict[str, Any]] = []
    for _ in range(len(answers)):
        if c.asked() not in answers:
            break
        replies = c.say(answers[c.asked()])
    assert c.asked() == "intake_related", c.tracker()["slots"]
    assert inform(kb_article="forgot_password") in buttons(replies)
    c.say(inform(kb_article="forgot_password"))
    assert c.asked() == "intake_solved"
    c.say("/affirm")
    assert c.asked() is None
    assert c.conversation()["deflections"] == ["forgot_password"]


def test_status_of_a_ticket_only_for_the_own_company(chat):
    identity = person("en")
    owner = chat("en", identity)
    fill_to_summary(owner, "en")
    number = number_in(owner.say("/affirm"))
    replies = owner.say(f"what's the status of ticket {number}?")
    assert number in " ".join(r.get("text") or "" for r in replies)
    stranger = chat("en")
    replies = stranger.say(f"any news on ticket {number}?")
    texts = " ".join(r.get("text") or "" for r in replies)
    assert number in texts and stranger.slot("ticket_number") is None, "not found, not revealed"


def test_follow_up_of_a_closed_ticket(chat):
    identity = person("es")
    c = chat("es", identity)
    fill_to_summary(c, "es")
    number = number_in(c.say("/affirm"))
    set_status_in_console(c.url, number, "closed")
    # Being in the widget, she hears of it at once (with the survey's button).
    news = c.expect("bot_uttered")
    assert number in news["text"] and any("ticket_survey" in b["payload"] for b in news.get("quick_replies") or [])
    c.say(f"quiero reabrir el ticket {number}, el error volvió")
    assert c.asked() == "followup_description"
    replies = c.say("después de aplicar la corrección el error de clave duplicada volvió en la factura")
    numbers = re.findall(r"\d{4}-\d{6}", " ".join(r.get("text") or "" for r in replies))
    new = next((n for n in numbers if n != number), None)
    assert new, "\n".join(f"{s}: {t[:200]}" for s, t in c.seen[-6:])
    ticket = c.ticket(new)
    assert ticket["parent"]["number"] == number and ticket["parent"]["transcript"]
    assert ticket["fields"]["description"].startswith("después de aplicar")


@pytest.mark.parametrize(
    "lang, first",
    [
        (
            "pt",
            "o Protheus 12.1.2310 em produção, no Oracle e hospedado na nuvem de vocês, dá erro ao emitir nota"
            " desde a atualização de ontem; todo mundo está parado aqui",
        ),
        (
            "en",
            "our production Protheus 12.1.2310 on Oracle, on our own server, fails on every sales invoice since we"
            " updated; everyone is affected and work is completely stopped",
        ),
    ],
)
def test_what_the_first_message_states_is_not_asked_again(chat, lang, first):
    c = chat(lang)
    c.say(first)
    c.say(inform(incident_category="bug"))
    assert c.slot("incident_origin") == "production" and c.slot("incident_affected_users") == "all"
    assert c.slot("incident_after_update") == "yes" and c.slot("incident_operation_stopped") == "yes"
    assert c.slot("incident_cloud") == ("yes" if lang == "pt" else "no")
    # "Em produção" names the system's environment too; "our production Protheus" only the origin.
    assert c.slot("incident_system_environment") == ("production" if lang == "pt" else None)
    asked = []
    for _ in range(8):
        asked.append(c.asked())
        c.say("não sei" if lang == "pt" else "I don't know")
    stated = {"incident_origin", "incident_cloud", "incident_after_update", "incident_affected_users"}
    stated.add("incident_operation_stopped")
    assert not stated & set(asked), asked
