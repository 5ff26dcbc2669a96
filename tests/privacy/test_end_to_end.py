"""Issue 18, end to end: a logged-in customer types a CPF, a card number, a
CNPJ and a password into the widget, goes through an intake and gets a ticket.
Afterwards none of them is anywhere: not in the hub's database (any table: read
as raw bytes, so no column is forgotten), not in Rasa's tracker store, not in
the ticket's e-mail, not in the logs of the three processes; Rasa's events
carry no name or e-mail in their metadata. The customer was told once per kind
of data. A second test, on a hub of its own without SMTP, follows a ticket the
action server opens with such data to the outbox, and checks the files' modes."""

from __future__ import annotations

import json
import sqlite3
import stat
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import requests

from bot.domain.identity import Identity, sign
from tests.conftest import (
    ACTIONS_TOKEN,
    HUB_PYTHON,
    IDENTITY_SECRET,
    PORTAL_ORIGIN,
    Service,
    actions_auth,
    free_port,
)
from tests.test_hub_widget import Customer
from tests.test_intake_conversation import REPORT, buttons, chat, inform, number_in  # noqa: F401 (chat: a fixture)

CPF = ("529.982.247-25", "52998224725")
CARD = ("4111 1111 1111 1111", "4111111111111111")
CNPJ = ("11.222.333/0001-81", "11222333000181")
PASSWORD = ("Tr0ub4dor&3",)
SECRETS = CPF + CARD + CNPJ + PASSWORD
# What Rasa's events may carry: of the customer (bot/domain/identity.py, as_metadata), the
# language, the conversation's key, and Rasa's own (which model and assistant answered).
ALLOWED_METADATA = {
    "contact_id",
    "company_code",
    "can_open_tickets",
    "language",
    "hub_token",
    "model_id",
    "assistant_id",
}

FIRST = f"oi, meu CPF é {CPF[0]} e minha senha é {PASSWORD[0]}, preciso de ajuda com uma nota"
DESCRIPTION = (
    f"ao confirmar a nota do cliente de CNPJ {CNPJ[0]}, pago com o cartão {CARD[0]}, aparece chave duplicada na SF2"
)
ANSWERS = {
    "incident_category": inform(incident_category="bug"),
    "incident_routine": "faturamento, nota de saída",
    "incident_origin": inform(incident_origin="production"),
    "incident_system_environment": inform(incident_system_environment="production"),
    "incident_cloud": "/deny",
    "incident_description": DESCRIPTION,
    "incident_steps": "não sei",
    "incident_expected": "a nota deveria ser gravada",
    "incident_since": "desde ontem",
    "incident_after_update": "/deny",
    "incident_affected_users": inform(incident_affected_users="all"),
    "incident_operation_stopped": inform(incident_operation_stopped="partly"),
    "intake_related": "/deny",
}


def found_in(data: bytes, *secrets: str) -> List[str]:
    return [secret for secret in secrets if secret.encode() in data]


def files_of(database: Path) -> bytes:
    """A SQLite database as it is on disk, journal and WAL included."""
    parts = [database, Path(f"{database}-wal"), Path(f"{database}-journal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def privacy_notices(replies: List[Dict[str, Any]]) -> List[str]:
    return [r["text"] for r in replies if (r.get("metadata") or {}).get("from") == "system"]


def test_what_a_customer_types_is_masked_everywhere_it_goes(
    chat,  # noqa: F811 (the fixture imported above)
    hub_service,
    rasa_service,
    action_service,
    mail_server,  # noqa: F811
):
    tag = uuid.uuid4().hex[:8]
    name, email = "Zuleica Prudente", f"zuleica.{tag}@example.com"
    c = chat("pt", Identity(f"contact-{tag}", name=name, email=email, company="Acme", company_code=f"A-{tag}"))

    first = c.say(FIRST)
    notices = privacy_notices(first)
    assert len(notices) == 2 and any("senha" in n for n in notices), first
    replies = c.say(REPORT["pt"])
    asked = []
    while c.asked() in ANSWERS and len(asked) < 20:
        asked.append(c.asked())
        replies = c.say(ANSWERS[asked[-1]])
        if asked[-1] == "incident_description":
            assert privacy_notices(replies) == [], "the data notice is said once a conversation"
    assert c.asked() == "intake_confirmed", asked
    assert "/affirm" in buttons(replies)
    number = number_in(c.say("/affirm"))
    assert number

    ticket = c.ticket(number)
    assert "[CNPJ]" in ticket["fields"]["description"] and "[cartão]" in ticket["fields"]["description"]
    assert any("[CPF]" in m["text"] and "[senha]" in m["text"] for m in ticket["transcript"])
    deadline = time.monotonic() + 30
    while not mail_server.to(email) and time.monotonic() < deadline:
        time.sleep(0.2)
    (mail,) = mail_server.to(email)
    assert number in mail["Subject"]
    assert found_in(mail.as_bytes(), *SECRETS) == []

    hub_workdir = hub_service.log.parent
    assert found_in(files_of(hub_workdir / "hub.db"), *SECRETS) == []
    tracker = files_of(rasa_service.log.parent / "tracker.db")
    assert c.conversation_id.encode() in tracker, "the tracker store is where the test thinks"
    assert found_in(tracker, *SECRETS, email, name) == []
    events = requests.get(f"{rasa_service.url}/conversations/{c.conversation_id}/tracker", timeout=10).json()
    for event in events["events"]:
        if event["event"] == "user":
            assert set(event.get("metadata") or {}) <= ALLOWED_METADATA, event["metadata"]
    for service in (hub_service, rasa_service, action_service):
        assert found_in(service.log.read_bytes(), *SECRETS, email, name) == [], service.name


def test_a_ticket_the_actions_open_with_personal_data_reaches_the_outbox_masked(tmp_path, server_env):
    """A hub of its own: no SMTP (the outbox), no Rasa (the customer's message
    gets the apology, after the notice), files created by the hub itself."""
    database, outbox = tmp_path / "var" / "hub.db", tmp_path / "outbox"
    env = dict(
        server_env,
        CAROLINA_PORT=str(free_port()),
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        RASA_URL=f"http://127.0.0.1:{free_port()}",
        RASA_TIMEOUT="2",
        CAROLINA_IDENTITY_SECRET=IDENTITY_SECRET,
        CAROLINA_ACTIONS_TOKEN=ACTIONS_TOKEN,
        CAROLINA_OUTBOX=str(outbox),
        CAROLINA_ALLOWED_ORIGINS=PORTAL_ORIGIN,
    )
    hub = Service(
        "hub", [str(HUB_PYTHON), "-m", "bot", "serve"], int(env["CAROLINA_PORT"]), "/api/health", env, tmp_path
    )
    hub.start(timeout=60)
    email = "quiteria.outbox@example.com"
    try:
        customer = Customer(hub.url)
        token = sign(Identity("contact-outbox", name="Quitéria", email=email, language="es"), IDENTITY_SECRET)
        conversation_id = customer.start(token=token, language="es")
        replies = customer.say(f"mi tarjeta es {CARD[1]} y mi contraseña: {PASSWORD[0]}")
        assert len(privacy_notices(replies)) == 2 and any("contraseña" in n for n in privacy_notices(replies))
        customer.close()
        body = {
            "conversation_id": conversation_id,
            "fields": {"summary": f"error con el CPF {CPF[1]}", "description": f"mi CNPJ es {CNPJ[1]}"},
            "impact": "medium",
            "urgency": "medium",
            "language": "es",
        }
        headers = {**actions_auth(conversation_id), "Idempotency-Key": "privacy-outbox"}
        created = requests.post(f"{hub.url}/api/tickets", json=body, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        assert created.json()["fields"]["summary"] == "error con el CPF [CPF]"
        deadline = time.monotonic() + 30
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.2)
        (written,) = list(outbox.glob("*.eml"))
        with sqlite3.connect(database) as db:
            texts = [text for (text,) in db.execute("SELECT text FROM messages WHERE sender = 'customer'")]
            (transcript,) = db.execute("SELECT transcript FROM tickets").fetchone()
    finally:
        hub.stop()
    assert texts == ["mi tarjeta es [tarjeta] y mi contraseña: [contraseña]"]
    assert "[tarjeta]" in json.dumps(json.loads(transcript), ensure_ascii=False)
    assert found_in(written.read_bytes(), *SECRETS) == []
    assert found_in(files_of(database), *SECRETS) == []
    assert found_in(hub.log.read_bytes(), *SECRETS, email, "Quitéria") == []
    # Readable by the hub's user only (LGPD: the files hold personal data).
    for path, mode in ((database, 0o600), (written, 0o600), (outbox, 0o700)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, (path, oct(path.stat().st_mode))
