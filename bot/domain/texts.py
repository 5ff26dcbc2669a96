"""What the hub itself says to customers (errors, outages), per language.

Carolina's conversation lives in Rasa's domain.yml; these are the few messages
the hub must say when Rasa cannot, or before a message reaches it."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Optional

from common.vocabulary import vocabulary

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
    # Every slot with Rasa is taken (bot/adapters/rasa_client.py, Gate): the message is kept.
    "busy": {
        "pt": "Tem muita gente escrevendo agora 😅. Sua mensagem ficou guardada: espere um instante e envie de novo, "
        "por favor.",
        "es": "Hay muchos clientes escribiendo en este momento 😅. Tu mensaje quedó guardado: espera un momento "
        "y envíalo de nuevo, por favor.",
        "en": "So many customers are writing right now 😅. Your message is saved: give me a moment and send it "
        "again, please.",
    },
    # Rasa is loading its model (bot/adapters/rasa_client.py, RasaStarting): the message
    # is kept and answered as soon as she is ready, so nobody is asked to write again.
    "rasa_starting": {
        "pt": "Estou começando agora, só um momento ⏳. Sua mensagem ficou guardada e eu respondo "
        "assim que estiver pronta, não precisa enviar de novo.",
        "es": "Estoy empezando ahora, solo un momento ⏳. Tu mensaje quedó guardado y te respondo "
        "en cuanto esté lista, no hace falta que lo envíes de nuevo.",
        "en": "I'm just starting up, one moment ⏳. Your message is saved and I'll answer it "
        "as soon as I'm ready, no need to send it again.",
    },
    # The database refused the customer's message: unlike the others, it was not kept.
    "not_stored": {
        "pt": "Desculpe, não consegui registrar sua mensagem agora 😕. Espere um instante e envie de novo, por favor.",
        "es": "Disculpa, no pude registrar tu mensaje en este momento 😕. Espera un momento y envíalo de nuevo, "
        "por favor.",
        "en": "Sorry, I couldn't save your message just now 😕. Wait a moment and send it again, please.",
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
    # Someone logged in on a page with an anonymous conversation (bot/domain/resume.py).
    "resume_question": {
        "pt": "Antes de entrar, havia uma conversa sem login nesta página. Quer continuar aquela conversa? "
        "Se este computador é compartilhado e a conversa não é sua, responda Não.",
        "es": "Antes de iniciar sesión había una conversación sin login en esta página. ¿Quieres continuarla? "
        "Si esta computadora es compartida y la conversación no es tuya, responde No.",
        "en": "Before you logged in, there was a conversation on this page without a login. Carry on with it? "
        "If this computer is shared and the conversation isn't yours, answer No.",
    },
    "resume_yes": {"pt": "Sim, continuar", "es": "Sí, continuar", "en": "Yes, carry on"},
    "resume_no": {"pt": "Não, começar outra", "es": "No, empezar otra", "en": "No, start afresh"},
    # The e-mail sent when a ticket is opened (bot/domain/ticket_mail.py; its subject: ticket_texts.py).
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
    # Without an inbound mail server (CAROLINA_INBOUND_SMTP), replies would go nowhere.
    "ticket_email_footer_portal": {
        "pt": 'Acompanhe em Meus Chamados, no Portal do Cliente ({url}), ou pergunte "meus chamados" à Carolina '
        "no chat do portal. Este endereço não recebe respostas.",
        "es": 'Síguela en Mis Solicitudes, en el Portal del Cliente ({url}), o pregúntale "mis solicitudes" a '
        "Carolina en el chat del portal. Esta dirección no recibe respuestas.",
        "en": 'Follow it under My Tickets in the customer portal ({url}), or ask Carolina "my tickets" in the '
        "portal's chat. This address does not take replies.",
    },
    "sender_customer": {"pt": "Você", "es": "Tú", "en": "You"},
    # Live chat (bot/domain/live_chat.py): what the hub says while an analyst holds the conversation.
    "agent_joined": {
        "pt": "{name}, do {queue}, entrou na conversa e já leu o que você contou.",
        "es": "{name}, de {queue}, entró en la conversación y ya leyó lo que contaste.",
        "en": "{name} from {queue} has joined the chat and has read what you told me.",
    },
    "agent_lost": {
        "pt": "A conexão do analista caiu. Você voltou para a fila, na posição {position}; "
        "seu histórico continua aqui.",
        "es": "Se cayó la conexión del analista. Volviste a la fila, en la posición {position}; "
        "tu historial sigue aquí.",
        "en": "The analyst's connection dropped. You're back in the queue at position {position}; "
        "your history is still here.",
    },
    "transferred": {
        "pt": "Transferi sua conversa para a fila de {queue}: posição {position}.",
        "es": "Transferí tu conversación a la fila de {queue}: posición {position}.",
        "en": "Your chat has been transferred to the {queue} queue: position {position}.",
    },
    "queue_closed": {
        "pt": "A fila de {queue} encerrou o atendimento por hoje antes de chegar a sua vez. "
        "Posso abrir um chamado com tudo o que você já contou.",
        "es": "La fila de {queue} terminó la atención por hoy antes de llegar tu turno. "
        "Puedo abrir una solicitud con todo lo que ya contaste.",
        "en": "The {queue} queue has closed for today before your turn came. "
        "I can open a ticket with everything you've told me.",
    },
    "open_ticket_button": {"pt": "Abrir chamado", "es": "Abrir solicitud", "en": "Open a ticket"},
    "ticket_from_chat": {
        "pt": "Abri o chamado {number} com toda a conversa. Você acompanha em Meus Chamados, no Portal do Cliente, "
        'ou me perguntando aqui "meus chamados".',
        "es": "Abrí la solicitud {number} con toda la conversación. "
        'La sigues en Mis Solicitudes, en el Portal del Cliente, o preguntándome aquí "mis solicitudes".',
        "en": "I've opened ticket {number} with the whole conversation. "
        'Follow it under My Tickets in the customer portal, or by asking me "my tickets" here.',
    },
    "ticket_failed": {
        "pt": "Não consegui abrir o chamado agora. Nada se perdeu: tente de novo em alguns minutos.",
        "es": "No pude abrir la solicitud ahora. No se perdió nada: inténtalo de nuevo en unos minutos.",
        "en": "I couldn't open the ticket just now. Nothing is lost: please try again in a few minutes.",
    },
    "returned_to_bot": {
        "pt": "O analista encerrou a parte dele. Sou eu de novo, a Carolina: se precisar de algo mais, é só escrever.",
        "es": "El analista terminó su parte. Soy yo otra vez, Carolina: si necesitas algo más, escríbeme.",
        "en": "The analyst has finished their part. It's me again, Carolina: write if you need anything else.",
    },
    "survey_question": {
        "pt": "Obrigada pelo contato! Uma pergunta rápida: de 0 a 10, quanto você recomendaria o nosso atendimento "
        "a um colega?",
        "es": "¡Gracias por contactarnos! Una pregunta rápida: de 0 a 10, ¿cuánto recomendarías nuestra atención "
        "a un colega?",
        "en": "Thank you for getting in touch! One quick question: from 0 to 10, how likely are you to recommend "
        "our support to a colleague?",
    },
    # When a closed queue opens again: "<weekday> dd/mm at hh:mm".
    "opens_at": {
        "pt": "{weekday}, {day}, às {time} (horário de Brasília)",
        "es": "el {weekday} {day} a las {time} (hora de Brasilia)",
        "en": "on {weekday} {day} at {time} Brasília time",
    },
    "weekdays": {
        "pt": "segunda-feira,terça-feira,quarta-feira,quinta-feira,sexta-feira,sábado,domingo",
        "es": "lunes,martes,miércoles,jueves,viernes,sábado,domingo",
        "en": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
    },
    "survey_thanks": {
        "pt": "Obrigada pela nota! Ela ajuda a melhorar o atendimento.",
        "es": "¡Gracias por la nota! Nos ayuda a mejorar la atención.",
        "en": "Thanks for the score! It helps us improve our support.",
    },
    # News on a ticket, said by Carolina in the widget (bot/domain/ticket_news.py).
    "ticket_news": {
        "pt": "Novidade no chamado {number}: {news}",
        "es": "Novedad en la solicitud {number}: {news}",
        "en": "News on ticket {number}: {news}",
    },
    "ticket_news_status": {
        "pt": "Status: “{status}”.",
        "es": "Estado: “{status}”.",
        "en": "Status: “{status}”.",
    },
    # What the customer is asked to do in each status that waits for them.
    "ticket_news_todo_awaiting_customer": {
        "pt": "O suporte aguarda sua resposta.",
        "es": "Soporte espera tu respuesta.",
        "en": "Support is waiting for your answer.",
    },
    "ticket_news_todo_customer_validation": {
        "pt": "Confira a solução e diga se o problema foi resolvido.",
        "es": "Revisa la solución y dinos si el problema quedó resuelto.",
        "en": "Please check the solution and tell us whether the problem is solved.",
    },
    "ticket_news_todo_closed": {
        "pt": "O chamado foi encerrado. Se quiser, avalie o atendimento.",
        "es": "La solicitud fue cerrada. Si quieres, evalúa la atención.",
        "en": "The ticket is closed. If you like, rate the service.",
    },
    "ticket_button_reply": {"pt": "Responder", "es": "Responder", "en": "Answer"},
    "ticket_button_accept": {"pt": "Está resolvido", "es": "Está resuelto", "en": "It's solved"},
    "ticket_button_reject": {"pt": "Não foi resolvido", "es": "No se resolvió", "en": "Not solved"},
    "ticket_button_survey": {"pt": "Avaliar o atendimento", "es": "Evaluar la atención", "en": "Rate the service"},
    # A CPF, CNPJ or card number was hidden from the customer's message (bot/domain/redaction.py).
    "privacy_data": {
        "pt": "Ocultei um dado pessoal da sua mensagem (CPF, CNPJ ou número de cartão) 🔒. Não precisa mandar "
        "esse tipo de dado pelo chat: seu login no portal já identifica você e sua empresa.",
        "es": "Oculté un dato personal de tu mensaje (CPF, CNPJ o número de tarjeta) 🔒. No hace falta enviar "
        "ese tipo de dato por el chat: tu acceso al portal ya te identifica a ti y a tu empresa.",
        "en": "I hid a piece of personal data in your message (a CPF, CNPJ or card number) 🔒. There's no need "
        "to send that kind of data in the chat: your portal login already tells us who you and your company are.",
    },
    # A password was hidden: the support team never asks for one, and it has been exposed.
    "privacy_password": {
        "pt": "Ocultei a senha que você escreveu 🔒. Nossa equipe nunca pede senhas pelo chat. Como ela foi "
        "digitada aqui, troque essa senha assim que puder, por favor.",
        "es": "Oculté la contraseña que escribiste 🔒. Nuestro equipo nunca pide contraseñas por el chat. Como "
        "quedó escrita aquí, cámbiala en cuanto puedas, por favor.",
        "en": "I hid the password you typed 🔒. Our team never asks for passwords in the chat. Since it was "
        "typed here, please change it as soon as you can.",
    },
}


def text(key: str, language: Optional[str], **values: object) -> str:
    variants = TEXTS[key]
    return variants.get(language or "pt", variants["pt"]).format(**values)


def queue_name(queue: str, language: Optional[str]) -> str:
    """The queue as customers read it (common/vocabulary.yml)."""
    labels = vocabulary().queues.get(queue)
    return labels.get(language or "pt", labels["pt"]) if labels else queue


def opens_at(moment: Optional[datetime], language: Optional[str]) -> str:
    """When a queue opens again, in the customer's words (moment is local time)."""
    if moment is None:
        return ""
    weekday = text("weekdays", language).split(",")[moment.weekday()]
    day = moment.strftime("%m/%d") if language == "en" else moment.strftime("%d/%m")
    return text("opens_at", language, weekday=weekday, day=day, time=moment.strftime("%H:%M"))
