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
}


def text(key: str, language: Optional[str], **values: object) -> str:
    variants = TEXTS[key]
    return variants.get(language or "pt", variants["pt"]).format(**values)
