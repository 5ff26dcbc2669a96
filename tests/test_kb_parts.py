"""A message that asks two things is cut into its questions (common/kb/parts.py)."""

from __future__ import annotations

import pytest

from common.kb.parts import question_parts


@pytest.mark.parametrize(
    "text, parts",
    [
        ("qual o horário do suporte? e como recupero a senha", ["qual o horário do suporte", "como recupero a senha"]),
        ("cuál es el horario y de cuánto es el límite?", ["cuál es el horario", "de cuánto es el límite"]),
        ("what are your hours and how do I attach a big file?", ["what are your hours", "how do I attach a big file"]),
        # a question that starts with a preposition ("until what time", "hasta qué hora", "até que horas")
        (
            "whats your phone number and until what time are you open?",
            ["whats your phone number", "until what time are you open"],
        ),
        ("me passa o telefone e até que horas vocês atendem?", ["me passa o telefone", "até que horas vocês atendem"]),
        ("dame el correo y hasta qué hora atienden hoy", ["dame el correo", "hasta qué hora atienden hoy"]),
        # one question, or a problem with a question after it: the message as it is
        ("qual o telefone do suporte?", ["qual o telefone do suporte?"]),
        ("o sistema trava e como faço?", ["o sistema trava e como faço?"]),
        ("how do I open and follow a ticket?", ["how do I open and follow a ticket?"]),
    ],
)
def test_a_message_is_cut_into_its_questions(text, parts):
    assert question_parts(text) == parts
