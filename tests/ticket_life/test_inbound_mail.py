"""Customers' e-mail replies to tickets (bot/domain/inbound_mail.py, the hub's
own SMTP server bot/adapters/inbound_smtp.py): only what they wrote is kept
(Gmail, Outlook and Apple Mail quoting in pt/es/en), the signed reply address
is checked at RCPT time, a reply lands in the thread once, and a reply to a
closed ticket opens a follow-up. The server is ours, real, on a loopback port;
smtplib is the customer's mail program."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any, Dict, List

import pytest
from sqlalchemy import select

from bot import keys
from bot.adapters.inbound_smtp import host_port
from bot.db.models import Attachment, OutgoingMail, Ticket, TicketMessage
from bot.domain import inbound_mail, signing
from bot.domain.inbound_mail import html_text, strip_quoted
from tests.ticket_life.mailhub import open_ticket, run, settings_for, ticket_of

REPLY = "reply+2026-000123.abcdefghijabcdefghij@carolina.localhost"

# What each mail program puts under the customer's answer, in each language.
QUOTED: Dict[str, str] = {
    "gmail_en": (
        "On Wed, Dec 3, 2025 at 10:15 AM Carolina <{reply}> wrote:\n\n"
        "> Could you try issuing the invoice again?\n>\n> Carolina\n"
    ),
    "gmail_en_wrapped": (
        "On Wed, Dec 3, 2025 at 10:15 AM Carolina Support Team of the Company <\n{reply}> wrote:\n\n"
        "> Could you try issuing the invoice again?\n"
    ),
    "gmail_pt": (
        "Em qua., 3 de dez. de 2025 às 10:15, Carolina <{reply}> escreveu:\n\n"
        "> Você pode tentar emitir a nota de novo?\n"
    ),
    "gmail_es": (
        "El mié, 3 dic 2025 a las 10:15, Carolina (<{reply}>) escribió:\n\n"
        "> ¿Puedes intentar emitir la factura de nuevo?\n"
    ),
    "outlook_en": (
        "________________________________\nFrom: Carolina <{reply}>\nSent: Wednesday, December 3, 2025 10:15 AM\n"
        "To: Ana Souza <ana@example.com>\nSubject: [2026-000123] New reply on your ticket\n\n"
        "Could you try issuing the invoice again?\n"
    ),
    "outlook_pt": (
        "De: Carolina <{reply}>\nEnviado: quarta-feira, 3 de dezembro de 2025 10:15\n"
        "Para: Ana Souza <ana@example.com>\nAssunto: [2026-000123] Nova resposta no seu chamado\n\n"
        "Você pode tentar emitir a nota de novo?\n"
    ),
    "outlook_es": (
        "De: Carolina <{reply}>\nEnviado el: miércoles, 3 de diciembre de 2025 10:15\n"
        "Para: Ana Souza <ana@example.com>\nAsunto: [2026-000123] Nueva respuesta en tu solicitud\n\n"
        "¿Puedes intentar emitir la factura de nuevo?\n"
    ),
    "outlook_old_en": "-----Original Message-----\nFrom: Carolina\nSent: Wednesday\n\nCould you try again?\n",
    "outlook_old_pt": "-----Mensagem original-----\nDe: Carolina\nEnviada em: quarta-feira\n\nPode tentar?\n",
    "outlook_old_es": "-----Mensaje original-----\nDe: Carolina\nEnviado el: miércoles\n\n¿Puedes intentar?\n",
    "apple_en": (
        "Sent from my iPhone\n\n> On 3 Dec 2025, at 10:15, Carolina <{reply}> wrote:\n>\n> Could you try again?\n"
    ),
    "apple_en_plain": "On 3 Dec 2025, at 10:15, Carolina <{reply}> wrote:\n\n> Could you try again?\n",
    "apple_pt": (
        "Enviado do meu iPhone\n\n> Em 3 de dez. de 2025, à(s) 10:15, Carolina <{reply}> escreveu:\n>\n"
        "> Pode tentar de novo?\n"
    ),
    "apple_es": (
        "Enviado desde mi iPhone\n\n> El 3 dic 2025, a las 10:15, Carolina <{reply}> escribió:\n>\n"
        "> ¿Puedes intentar de nuevo?\n"
    ),
    "signature": "-- \nAna Souza\nAcme Ltda · (11) 5555-0000\n",
}
ANSWERS = {
    "en": 'It still fails.\n\nThe error is now "duplicate key" on line 2.',
    "pt": 'Ainda dá erro.\n\nAgora a mensagem é "chave duplicada" na linha 2.',
    "es": 'Sigue fallando.\n\nAhora el error es "clave duplicada" en la línea 2.',
}


@pytest.mark.parametrize("client", sorted(QUOTED))
def test_only_what_the_customer_wrote_is_kept(client):
    language = next((part for part in client.split("_") if part in ANSWERS), "en")
    answer = ANSWERS[language]
    body = f"{answer}\n\n{QUOTED[client].format(reply=REPLY)}"
    assert strip_quoted(body) == answer
    # Windows line ends change nothing.
    assert strip_quoted(body.replace("\n", "\r\n")) == answer


def test_an_answer_below_the_quote_and_between_quoted_lines_is_kept():
    body = (
        "On Wed, Dec 3, 2025 at 10:15 AM Carolina <x@y> wrote:\n> Which version?\n\n12.1.2310\n\n"
        "> And the database?\n\nOracle 19c\n"
    )
    assert strip_quoted(body) == "12.1.2310\n\nOracle 19c"


def test_text_that_only_looks_like_a_quote_marker_is_kept():
    body = "On Monday the invoice worked.\nEm seguida deu erro.\nFrom: the fiscal module, I think.\nThanks"
    assert strip_quoted(body) == body


def test_an_html_only_reply_is_read_without_its_quote():
    html = (
        "<html><head><style>p{color:red}</style></head><body><div dir='ltr'>Ainda d&aacute; erro.<br>"
        "Linha 2.</div><br><div class='gmail_quote'><div class='gmail_attr'>Em qua., Carolina escreveu:</div>"
        "<blockquote>Pode tentar?</blockquote></div></body></html>"
    )
    assert strip_quoted(html_text(html)) == "Ainda dá erro.\nLinha 2."
    outlook = "<p>Sigue fallando.</p><div id='divRplyFwdMsg'><b>De:</b> Carolina</div><p>¿Puedes?</p>"
    assert strip_quoted(html_text(outlook)) == "Sigue fallando."
    apple = "<div>It still fails.</div><blockquote type='cite'><p>Could you<br/>try again?<br></blockquote><p>Bye</p>"
    assert strip_quoted(html_text(apple)) == "It still fails.\n\nBye"


def mail(
    text: str = "Ainda dá erro.",
    to: str = REPLY,
    message_id: str = "",
    html: str = "",
    **headers: str,
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = "Ana Souza <ana.souza@example.com>"
    email["To"] = to
    email["Subject"] = "Re: [2026-000123] Nova resposta no seu chamado"
    email["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@mail.example.com>"
    for name, value in headers.items():
        email[name.replace("_", "-")] = value
    email.set_content(text)
    if html:
        email.add_alternative(html, subtype="html")
    return email


def test_parse_reads_the_sender_the_text_and_what_is_automatic():
    inbound = inbound_mail.parse(bytes(mail(f"Ainda dá erro.\n\n{QUOTED['gmail_pt'].format(reply=REPLY)}")))
    assert inbound.text == "Ainda dá erro."
    assert inbound.sender == "ana.souza@example.com" and not inbound.automatic
    assert inbound.author_name("pt") == "Ana Souza (a***@example.com)"
    assert inbound.message_id.endswith("@mail.example.com>")
    for headers in ({"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"X_Autoreply": "yes"}):
        assert inbound_mail.parse(bytes(mail("Estou de férias até segunda.", **headers))).automatic
    assert inbound_mail.parse(bytes(mail("Bounce")), envelope_from="<>").automatic
    # No Message-ID: the same bytes are still the same message.
    bare = mail()
    del bare["Message-ID"]
    assert inbound_mail.parse(bytes(bare)).message_id == inbound_mail.parse(bytes(bare)).message_id


# --- The real server ---------------------------------------------------------------------


@pytest.fixture
def hub(tmp_path, mail_server):
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, mail_server.port)
    return settings, lambda scenario: run(settings, scenario)


def send(settings: Any, email: EmailMessage, to: str = "", sender: str = "ana.souza@example.com") -> Dict[str, Any]:
    """The customer's mail program: one SMTP session to the hub's inbound port (blocking; run in a thread)."""
    host, port = host_port(settings.inbound_smtp)
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        return smtp.send_message(email, from_addr=sender, to_addrs=[to or str(email["To"])])


async def sent(settings: Any, email: EmailMessage, **options: Any) -> Dict[str, Any]:
    return await asyncio.to_thread(send, settings, email, **options)


async def thread(app: Any, number: str) -> List[TicketMessage]:
    ticket = await ticket_of(app, number)
    async with app[keys.SESSIONS]() as session:
        query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
        return list((await session.execute(query)).scalars())


def test_a_reply_to_the_signed_address_lands_in_the_thread_once(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, status="awaiting_customer")
        address = signing.reply_address(number, settings)
        reply = mail(f"Ainda dá erro na linha 2.\n\n{QUOTED['gmail_pt'].format(reply=address)}", to=address)
        assert await sent(settings, reply) == {}
        lines = await thread(app, number)
        said = [line for line in lines if line.author == "customer"]
        assert [(line.text, line.via, line.visibility) for line in said] == [
            ("Ainda dá erro na linha 2.", "email", "public")
        ]
        assert said[0].author_name == "Ana Souza (a***@example.com)"
        # The customer answered: the ticket no longer waits for them.
        assert (await ticket_of(app, number)).status == "in_progress"
        # The same message delivered again (a retry of the sending server) adds nothing.
        assert await sent(settings, reply) == {}
        assert len([line for line in await thread(app, number) if line.author == "customer"]) == 1

    go(scenario)


def test_forged_unsigned_and_unknown_addresses_are_refused_at_rcpt(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app)
        good = signing.reply_address(number, settings)
        signature = good.split("@")[0].split(".", 1)[1]
        refused = [
            f"reply+{number}@{settings.reply_domain}",  # unsigned
            good.replace(signature, signature[::-1]),  # forged
            f"reply+{number}.{signature}@elsewhere.example.com",  # another domain: no relaying
            signing.reply_address("2019-999999", settings),  # well signed, but no such ticket
            f"postmaster@{settings.reply_domain}",
        ]
        for address in refused:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
                await sent(settings, mail(to=address))
            code, _ = error.value.recipients[address]
            assert code == 550, (address, error.value.recipients)
        assert [line for line in await thread(app, number) if line.author == "customer"] == []

    go(scenario)


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(hub):
    settings, go = hub

    async def scenario(client, app):
        number, address = await open_ticket(app, language="es", status="closed")
        reply_to = signing.reply_address(number, settings)
        email = mail(f"El error volvió esta mañana.\n\n{QUOTED['outlook_es'].format(reply=reply_to)}", to=reply_to)
        await sent(settings, email)
        await sent(settings, email)  # delivered twice: still one follow-up
        parent = await ticket_of(app, number)
        async with app[keys.SESSIONS]() as session:
            children = list((await session.execute(select(Ticket).where(Ticket.parent_id == parent.id))).scalars())
            assert len(children) == 1
            child = children[0]
            assert child.fields["description"] == "El error volvió esta mañana."
            assert child.status == "open" and child.language == "es"
            mails = list(
                (await session.execute(select(OutgoingMail).where(OutgoingMail.ticket_id == child.id))).scalars()
            )
        assert parent.status == "closed"
        assert [m.subject for m in mails] == [f"[{child.number}] Solicitud de continuación de la {number}"]
        assert mails[0].recipient == address
        assert f"Reply-To: {signing.reply_address(child.number, settings)}" in mails[0].raw

    go(scenario)


def test_automatic_replies_and_empty_replies_add_nothing(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app, status="awaiting_customer")
        address = signing.reply_address(number, settings)
        await sent(settings, mail("Estou fora do escritório até segunda.", to=address, Auto_Submitted="auto-replied"))
        with pytest.raises(smtplib.SMTPDataError) as empty:
            await sent(settings, mail(QUOTED["gmail_pt"].format(reply=address), to=address))
        assert empty.value.smtp_code == 550
        assert [line for line in await thread(app, number) if line.author == "customer"] == []
        assert (await ticket_of(app, number)).status == "awaiting_customer"

    go(scenario)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


def test_files_in_the_reply_go_with_it_and_refused_ones_are_named(hub):
    settings, go = hub

    async def scenario(client, app):
        number, _ = await open_ticket(app)
        address = signing.reply_address(number, settings)
        email = mail("Segue o print do erro.", to=address)
        email.add_attachment(PNG, maintype="image", subtype="png", filename="erro.png")
        email.add_attachment(
            b"MZ\x90\x00" + b"\0" * 200, maintype="application", subtype="octet-stream", filename="ferramenta.exe"
        )
        await sent(settings, email)
        said = [line for line in await thread(app, number) if line.author == "customer"]
        assert len(said) == 1
        assert said[0].text.startswith("Segue o print do erro.") and "ferramenta.exe" in said[0].text
        async with app[keys.SESSIONS]() as session:
            files = list(
                (await session.execute(select(Attachment).where(Attachment.ticket_message_id == said[0].id))).scalars()
            )
        assert [(f.filename, f.uploaded_by) for f in files] == [("erro.png", "customer")]

    go(scenario)
