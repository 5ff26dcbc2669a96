"""What the hub itself says to customers (errors, outages), per language.

Carolina's conversation lives in Rasa's domain.yml; these are the few messages
the hub must say when Rasa cannot, or before a message reaches it."""

from __future__ import annotations

from typing import Dict, Optional

TEXTS: Dict[str, Dict[str, str]] = {
    "rasa_down": {
        "pt": "Desculpe, estou com uma instabilidade agora 😕. Sua mensagem ficou guardada. "
        "Tente de novo em instantes ou, se preferir, abra um chamado no Portal do Cliente.",
        "es": "Disculpa, tengo un problema técnico en este momento 😕. Tu mensaje quedó guardado. "
        "Inténtalo de nuevo en unos instantes o, si prefieres, abre una solicitud en el Portal del Cliente.",
        "en": "Sorry, I'm having a technical problem right now 😕. Your message is saved. "
        "Please try again in a moment or, if you prefer, open a ticket in the customer portal.",
    },
    "empty": {
        "pt": "Sua mensagem está vazia. Escreva sua dúvida e envie de novo 🙂",
        "es": "Tu mensaje está vacío. Escribe tu duda y envíala de nuevo 🙂",
        "en": "Your message is empty. Type your question and send it again 🙂",
    },
    "too_long": {
        "pt": "Sua mensagem tem mais de {limit} caracteres e não foi enviada. Divida em partes menores, por favor.",
        "es": "Tu mensaje tiene más de {limit} caracteres y no se envió. Divídelo en partes más cortas, por favor.",
        "en": "Your message is longer than {limit} characters and was not sent. Please split it into shorter parts.",
    },
    "rate_limited": {
        "pt": "Calma, são muitas mensagens seguidas 😅. Espere alguns segundos e envie de novo.",
        "es": "Despacio, son muchos mensajes seguidos 😅. Espera unos segundos y envíalo de nuevo.",
        "en": "Whoa, that's a lot of messages in a row 😅. Wait a few seconds and send it again.",
    },
    "bad_identity": {
        "pt": "Não consegui confirmar seu login no portal (sessão inválida ou expirada). "
        "Recarregue a página e entre de novo.",
        "es": "No pude confirmar tu inicio de sesión en el portal (sesión inválida o vencida). "
        "Recarga la página e inicia sesión de nuevo.",
        "en": "I couldn't confirm your portal login (invalid or expired session). Reload the page and log in again.",
    },
    "bad_request": {
        "pt": "Não entendi o que o navegador enviou. Recarregue a página, por favor.",
        "es": "No entendí lo que envió el navegador. Recarga la página, por favor.",
        "en": "I couldn't read what the browser sent. Please reload the page.",
    },
    # The e-mail sent when a ticket is opened (bot/mailer.py).
    "ticket_email_subject": {
        "pt": "Chamado {number} aberto: {summary}",
        "es": "Solicitud {number} abierta: {summary}",
        "en": "Ticket {number} opened: {summary}",
    },
    "ticket_email_intro": {
        "pt": "Olá! Seu chamado {number} foi aberto com criticidade {criticality}. "
        "Um analista do suporte vai estudar o caso e responder pelo próprio chamado.",
        "es": "¡Hola! Tu solicitud {number} fue abierta con criticidad {criticality}. "
        "Un analista de soporte estudiará el caso y responderá en la misma solicitud.",
        "en": "Hello! Your ticket {number} was opened with criticality {criticality}. "
        "A support analyst will study the case and reply on the ticket.",
    },
    "ticket_email_transcript": {
        "pt": "Cópia da conversa:",
        "es": "Copia de la conversación:",
        "en": "A copy of the conversation:",
    },
    "ticket_email_footer": {
        "pt": "Acompanhe em Meus Chamados, no Portal do Cliente ({url}), ou responda a este e-mail.",
        "es": "Síguela en Mis Solicitudes, en el Portal del Cliente ({url}), o responde este e-mail.",
        "en": "Follow it under My Tickets in the customer portal ({url}), or reply to this e-mail.",
    },
    "sender_customer": {"pt": "Você", "es": "Tú", "en": "You"},
}


def text(key: str, language: Optional[str], **values: object) -> str:
    variants = TEXTS[key]
    return variants.get(language or "pt", variants["pt"]).format(**values)
