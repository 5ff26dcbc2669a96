"""A message that asks two things is cut into its questions (common/kb/parts.py)."""

from __future__ import annotations

import pytest

from common.kb.parts import kb_query, question_parts, without_personal_data


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


@pytest.mark.parametrize(
    "text, question",
    [
        (
            "hi, my cpf is [CPF]. who is the portal administrator of my company?",
            "hi, who is the portal administrator of my company?",
        ),
        (
            "meu cpf é [CPF], preciso atualizar o cadastro de acesso do portal, como faço?",
            "preciso atualizar o cadastro de acesso do portal, como faço?",
        ),
        # inside a longer clause only the mark goes; nothing masked: the message as it is
        ("não entro no portal com o cpf [CPF] desde ontem", "não entro no portal com o cpf desde ontem"),
        ("como protegem meu cpf?", "como protegem meu cpf?"),
    ],
)
def test_stated_personal_data_is_not_the_question(text, question):
    assert without_personal_data(text) == question


@pytest.mark.parametrize(
    "text, question",
    [
        ("hi, my cpf is [CPF]. who is the portal administrator?", "who is the portal administrator?"),
        ("Oi, bom dia! como abro um chamado?", "como abro um chamado?"),
        ("buenas tardes, cual es el horario de soporte", "cual es el horario de soporte"),
        ("hola", "hola"),  # nothing else: the message as it is
        ("hilux não abre no portal", "hilux não abre no portal"),
    ],
)
def test_the_knowledge_base_reads_the_question(text, question):
    assert kb_query(text) == question
