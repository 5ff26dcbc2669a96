"""What the hub says about a ticket outside the chat, per language: the news
e-mails (bot/domain/ticket_mail.py) and the pages of the links they carry
(bot/web/ticket_links.py). Our own words; each e-mail says what the customer
can do next, and only what the hub really does."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Optional

from bot.db.models import utc
from bot.domain.texts import text as hub_text
from common.clock import ZONE
from common.vocabulary import vocabulary

TEXTS: Dict[str, Dict[str, str]] = {
    # Subjects: "[<number>] " comes first in every language (bot/domain/ticket_mail.py).
    "subject_opened": {
        "pt": "Chamado aberto: {summary}",
        "es": "Solicitud abierta: {summary}",
        "en": "Ticket opened: {summary}",
    },
    "subject_reply": {
        "pt": "Nova resposta no seu chamado: {summary}",
        "es": "Nueva respuesta en tu solicitud: {summary}",
        "en": "New reply on your ticket: {summary}",
    },
    "subject_status": {
        "pt": "Situação do chamado: {status}",
        "es": "Estado de la solicitud: {status}",
        "en": "Ticket status: {status}",
    },
    "subject_warning": {
        "pt": "O chamado muda de situação amanhã",
        "es": "La solicitud cambia de estado mañana",
        "en": "Your ticket moves on tomorrow",
    },
    "subject_survey": {
        "pt": "Chamado fechado: como foi o atendimento?",
        "es": "Solicitud cerrada: ¿cómo fue la atención?",
        "en": "Ticket closed: how did we do?",
    },
    "subject_follow_up": {
        "pt": "Chamado de continuação do {parent}",
        "es": "Solicitud de continuación de la {parent}",
        "en": "Follow-up of ticket {parent}",
    },
    "hello": {"pt": "Olá, {name}!", "es": "Hola, {name}:", "en": "Hello {name},"},
    "hello_nameless": {"pt": "Olá!", "es": "Hola:", "en": "Hello,"},
    "reply_intro": {
        "pt": "{author} respondeu no chamado {number} ({summary}):",
        "es": "{author} respondió en la solicitud {number} ({summary}):",
        "en": "{author} replied on ticket {number} ({summary}):",
    },
    "support_team": {"pt": "O suporte", "es": "El equipo de soporte", "en": "The support team"},
    "reply_next": {
        "pt": "Para responder, é só responder a este e-mail: sua mensagem entra no chamado.",
        "es": "Para contestar, basta con responder a este e-mail: tu mensaje entra en la solicitud.",
        "en": "To answer, just reply to this e-mail: your message goes into the ticket.",
    },
    "status_intro": {
        "pt": "O chamado {number} ({summary}) agora está em: {status}.",
        "es": "La solicitud {number} ({summary}) ahora está en: {status}.",
        "en": "Ticket {number} ({summary}) is now: {status}.",
    },
    "status_in_progress": {
        "pt": "Um analista está trabalhando nele. Avisaremos por aqui quando houver novidade.",
        "es": "Un analista está trabajando en ella. Te avisaremos por aquí cuando haya novedades.",
        "en": "An analyst is working on it. We'll write here when there is news.",
    },
    "status_awaiting_customer": {
        "pt": "Precisamos de uma informação sua para continuar: responda a este e-mail com o que foi pedido. "
        "Se não recebermos nada até {date}, o chamado segue para a sua validação.",
        "es": "Necesitamos un dato tuyo para continuar: responde a este e-mail con lo que se pidió. "
        "Si no recibimos nada hasta el {date}, la solicitud pasa a tu validación.",
        "en": "We need something from you to carry on: reply to this e-mail with what was asked. "
        "If nothing arrives by {date}, the ticket moves on to your validation.",
    },
    # Without an inbound mail server (CAROLINA_INBOUND_SMTP) a reply would go nowhere: the chat is the way back.
    "status_awaiting_customer_portal": {
        "pt": "Precisamos de uma informação sua para continuar: mande o que foi pedido pelo chat do Portal do "
        'Cliente, escrevendo "responder chamado {number}". '
        "Se não recebermos nada até {date}, o chamado segue para a sua validação.",
        "es": "Necesitamos un dato tuyo para continuar: envía lo que se pidió por el chat del Portal del Cliente, "
        'escribiendo "responder solicitud {number}". '
        "Si no recibimos nada hasta el {date}, la solicitud pasa a tu validación.",
        "en": "We need something from you to carry on: send what was asked through the customer portal's chat, "
        'by writing "answer ticket {number}". '
        "If nothing arrives by {date}, the ticket moves on to your validation.",
    },
    "status_customer_validation": {
        "pt": "Enviamos uma solução. Ela resolveu o problema? Diga por um destes links:",
        "es": "Enviamos una solución. ¿Resolvió el problema? Dínoslo con uno de estos enlaces:",
        "en": "We've sent a solution. Did it solve the problem? Tell us with one of these links:",
    },
    "validation_deadline": {
        "pt": "Se não tivermos sua resposta até {date}, o chamado será fechado.",
        "es": "Si no tenemos tu respuesta hasta el {date}, la solicitud se cerrará.",
        "en": "If we don't hear from you by {date}, the ticket will be closed.",
    },
    "validation_undated": {
        "pt": "Sem resposta, o chamado será fechado depois de alguns dias úteis.",
        "es": "Sin respuesta, la solicitud se cerrará después de algunos días hábiles.",
        "en": "Without an answer, the ticket will be closed after a few business days.",
    },
    "link_solved": {"pt": "Resolvido", "es": "Resuelto", "en": "Solved"},
    "link_not_solved": {"pt": "Não resolvido", "es": "No resuelto", "en": "Not solved"},
    "status_closed": {
        "pt": "Se o problema voltar, responda a este e-mail: abriremos um chamado de continuação com todo o histórico.",
        "es": "Si el problema vuelve, responde a este e-mail: abriremos una solicitud de continuación con todo "
        "el historial.",
        "en": "If the problem comes back, reply to this e-mail: we'll open a follow-up ticket with the whole history.",
    },
    "status_other": {
        "pt": "Você pode responder a este e-mail para acrescentar algo ao chamado.",
        "es": "Puedes responder a este e-mail para añadir algo a la solicitud.",
        "en": "You can reply to this e-mail to add something to the ticket.",
    },
    "warning_awaiting_customer": {
        "pt": "Ainda esperamos sua resposta no chamado {number} ({summary}). Se ela não chegar, amanhã ({date}) "
        "o chamado segue sozinho para a sua validação. Para evitar isso, responda a este e-mail.",
        "es": "Seguimos esperando tu respuesta en la solicitud {number} ({summary}). Si no llega, mañana ({date}) "
        "la solicitud pasará sola a tu validación. Para evitarlo, responde a este e-mail.",
        "en": "We're still waiting for your answer on ticket {number} ({summary}). If it doesn't come, tomorrow "
        "({date}) the ticket moves on to your validation by itself. To stop that, reply to this e-mail.",
    },
    "warning_customer_validation": {
        "pt": "O chamado {number} ({summary}) aguarda sua validação e será fechado amanhã ({date}) se não "
        "houver resposta. Ainda dá tempo:",
        "es": "La solicitud {number} ({summary}) espera tu validación y se cerrará mañana ({date}) si no hay "
        "respuesta. Todavía estás a tiempo:",
        "en": "Ticket {number} ({summary}) is waiting for your validation and will be closed tomorrow ({date}) "
        "unless you answer. There's still time:",
    },
    "survey_intro": {
        "pt": "O chamado {number} ({summary}) foi fechado. Uma pergunta rápida: de 0 a 10, quanto você "
        "recomendaria o nosso atendimento a um colega? Responda aqui (leva menos de um minuto):",
        "es": "La solicitud {number} ({summary}) se cerró. Una pregunta rápida: de 0 a 10, ¿cuánto "
        "recomendarías nuestra atención a un colega? Responde aquí (lleva menos de un minuto):",
        "en": "Ticket {number} ({summary}) is closed. One quick question: from 0 to 10, how likely are you to "
        "recommend our support to a colleague? Answer here (it takes less than a minute):",
    },
    "follow_up_intro": {
        "pt": "Sua resposta sobre o chamado {parent} chegou depois de ele ser fechado. Para ela não se perder, "
        "abrimos o chamado {number}, que continua aquele, com a sua mensagem e todo o histórico.",
        "es": "Tu respuesta sobre la solicitud {parent} llegó después de que se cerrara. Para que no se pierda, "
        "abrimos la solicitud {number}, que continúa aquella, con tu mensaje y todo el historial.",
        "en": "Your reply about ticket {parent} arrived after it was closed. So that it isn't lost, we've opened "
        "ticket {number}, which carries on from it, with your message and the whole history.",
    },
    "last_message": {
        "pt": "Última mensagem no chamado:",
        "es": "Último mensaje en la solicitud:",
        "en": "Latest message on the ticket:",
    },
    "footer": {
        "pt": "Escreva sua resposta acima da mensagem citada. Você também acompanha o chamado em Meus Chamados, "
        'no Portal do Cliente ({url}), ou perguntando "meus chamados" à Carolina.',
        "es": "Escribe tu respuesta encima del mensaje citado. También sigues la solicitud en Mis Solicitudes, "
        'en el Portal del Cliente ({url}), o preguntándole "mis solicitudes" a Carolina.',
        "en": "Write your answer above the quoted message. You can also follow the ticket under My Tickets in "
        'the customer portal ({url}), or by asking Carolina "my tickets".',
    },
    "footer_portal": {
        "pt": "Este endereço não recebe respostas. Você acompanha o chamado em Meus Chamados, no Portal do Cliente "
        '({url}), ou perguntando "meus chamados" à Carolina, no chat do portal.',
        "es": "Esta dirección no recibe respuestas. Sigues la solicitud en Mis Solicitudes, en el Portal del Cliente "
        '({url}), o preguntándole "mis solicitudes" a Carolina, en el chat del portal.',
        "en": "This address does not take replies. Follow the ticket under My Tickets in the customer portal "
        '({url}), or ask Carolina "my tickets" in the portal\'s chat.',
    },
    # The pages of the e-mailed links (bot/web/ticket_links.py).
    "page_validate_title": {
        "pt": "Chamado {number}: o problema foi resolvido?",
        "es": "Solicitud {number}: ¿se resolvió el problema?",
        "en": "Ticket {number}: is the problem solved?",
    },
    "page_solved": {"pt": "Sim, está resolvido", "es": "Sí, está resuelto", "en": "Yes, it's solved"},
    "page_not_solved": {
        "pt": "Não, ainda não está resolvido",
        "es": "No, todavía no está resuelto",
        "en": "No, it isn't solved yet",
    },
    "page_reason": {
        "pt": "Se não resolveu, conte o que ainda acontece:",
        "es": "Si no se resolvió, cuéntanos qué sigue pasando:",
        "en": "If it isn't solved, tell us what still happens:",
    },
    "page_survey_title": {
        "pt": "Chamado {number}: como foi o atendimento?",
        "es": "Solicitud {number}: ¿cómo fue la atención?",
        "en": "Ticket {number}: how did we do?",
    },
    "page_survey_question": {
        "pt": "De 0 a 10, quanto você recomendaria o nosso atendimento a um colega?",
        "es": "De 0 a 10, ¿cuánto recomendarías nuestra atención a un colega?",
        "en": "From 0 to 10, how likely are you to recommend our support to a colleague?",
    },
    "page_comment": {
        "pt": "Quer deixar um comentário? (opcional)",
        "es": "¿Quieres dejar un comentario? (opcional)",
        "en": "Anything you'd like to add? (optional)",
    },
    "page_send": {"pt": "Enviar", "es": "Enviar", "en": "Send"},
    "page_accepted": {
        "pt": "Obrigada pela confirmação! O chamado {number} foi fechado.",
        "es": "¡Gracias por confirmarlo! La solicitud {number} se cerró.",
        "en": "Thanks for confirming! Ticket {number} is now closed.",
    },
    "page_rejected": {
        "pt": "Obrigada por avisar. O chamado {number} voltou para o analista, com o que você contou.",
        "es": "Gracias por avisar. La solicitud {number} volvió al analista, con lo que nos contaste.",
        "en": "Thanks for telling us. Ticket {number} is back with the analyst, with what you wrote.",
    },
    "page_surveyed": {
        "pt": "Obrigada pela nota! Ela nos ajuda a melhorar o atendimento.",
        "es": "¡Gracias por tu nota! Nos ayuda a mejorar la atención.",
        "en": "Thanks for your score! It helps us improve our support.",
    },
    "page_not_in_validation": {
        "pt": "O chamado {number} não está mais aguardando a sua validação (situação: {status}). Nada foi alterado.",
        "es": "La solicitud {number} ya no espera tu validación (estado: {status}). No se cambió nada.",
        "en": "Ticket {number} is no longer waiting for your validation (status: {status}). Nothing was changed.",
    },
    "page_answered": {
        "pt": "A pesquisa do chamado {number} já foi respondida. Obrigada!",
        "es": "La encuesta de la solicitud {number} ya fue respondida. ¡Gracias!",
        "en": "The survey for ticket {number} has already been answered. Thank you!",
    },
    "page_not_closed": {
        "pt": "O chamado {number} ainda não foi fechado; a pesquisa vem depois.",
        "es": "La solicitud {number} todavía no se cerró; la encuesta viene después.",
        "en": "Ticket {number} isn't closed yet; the survey comes afterwards.",
    },
    "page_invalid": {
        "pt": "Não entendemos a resposta. Confira o formulário e envie de novo.",
        "es": "No entendimos la respuesta. Revisa el formulario y envíalo de nuevo.",
        "en": "We couldn't read the answer. Check the form and send it again.",
    },
    "page_bad_link": {
        "pt": "Este link não é válido. Confira se ele foi copiado inteiro do e-mail.",
        "es": "Este enlace no es válido. Revisa que se haya copiado entero del e-mail.",
        "en": "This link isn't valid. Check that it was copied whole from the e-mail.",
    },
    "page_expired": {
        "pt": "Este link expirou. Para falar do chamado, responda ao e-mail dele ou fale com a Carolina no Portal "
        "do Cliente.",
        "es": "Este enlace venció. Para hablar de la solicitud, responde a su e-mail o habla con Carolina en el "
        "Portal del Cliente.",
        "en": "This link has expired. To talk about the ticket, reply to its e-mail or talk to Carolina in the "
        "customer portal.",
    },
    "page_failed": {
        "pt": "Não conseguimos registrar sua resposta agora. Nada foi alterado: tente de novo em alguns minutos.",
        "es": "No pudimos registrar tu respuesta ahora. No se cambió nada: inténtalo de nuevo en unos minutos.",
        "en": "We couldn't record your answer just now. Nothing was changed: please try again in a few minutes.",
    },
    "months": {
        "pt": "janeiro,fevereiro,março,abril,maio,junho,julho,agosto,setembro,outubro,novembro,dezembro",
        "es": "enero,febrero,marzo,abril,mayo,junio,julio,agosto,septiembre,octubre,noviembre,diciembre",
        "en": "January,February,March,April,May,June,July,August,September,October,November,December",
    },
    "date": {
        "pt": "{weekday}, {day} de {month} de {year}",
        "es": "{weekday} {day} de {month} de {year}",
        "en": "{weekday}, {day} {month} {year}",
    },
}

LANGUAGES = ("pt", "es", "en")


def language_of(language: Optional[str]) -> str:
    return language if language in LANGUAGES else "pt"


def say(key: str, language: Optional[str], **values: object) -> str:
    return TEXTS[key][language_of(language)].format(**values)


def long_date(moment: datetime, language: Optional[str]) -> str:
    """A day as people write it ("sexta-feira, 11 de dezembro de 2026"), in Brasília's calendar."""
    local = utc(moment).astimezone(ZONE)
    weekday = hub_text("weekdays", language_of(language)).split(",")[local.weekday()]
    month = say("months", language).split(",")[local.month - 1]
    return say("date", language, weekday=weekday, day=local.day, month=month, year=local.year)


def status_label(status: str, language: Optional[str]) -> str:
    """A status as customers read it (common/vocabulary.yml)."""
    labels = vocabulary().statuses.get(status) or {}
    return labels.get(language_of(language), labels.get("pt", status))
