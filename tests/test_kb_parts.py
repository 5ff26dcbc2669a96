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
        # one question, or a problem with a question after it: the message as it is
        ("qual o telefone do suporte?", ["qual o telefone do suporte?"]),
        ("o sistema trava e como faço?", ["o sistema trava e como faço?"]),
        ("how do I open and follow a ticket?", ["how do I open and follow a ticket?"]),
    ],
)
def test_a_message_is_cut_into_its_questions(text, parts):
    assert question_parts(text) == parts
