"""The action server's answers are checked against Rasa's schema with a validator
built once (channels/action_results.py), and still refused when malformed."""

from __future__ import annotations

from unittest import mock

import pytest
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

import channels.hub  # noqa: F401  (the Rasa server loads the channel, and with it the compiled check)

ANSWER = {
    "events": [{"event": "slot", "name": "language", "value": "pt"}, {"event": "bot", "text": "oi"}],
    "responses": [{"text": "oi"}],
}


def test_the_schema_is_checked_once_not_per_answer():
    action = RemoteAction("action_answer_kb", None)
    spy = mock.patch.object(
        validators.Draft202012Validator, "check_schema", wraps=validators.Draft202012Validator.check_schema
    )
    action._validate_action_result(ANSWER)  # the validator may be built here, once
    with spy as check_schema:
        for _ in range(3):
            assert action._validate_action_result(ANSWER)
    assert check_schema.call_count == 0, "jsonschema.validate re-checks the schema on every answer"


@pytest.mark.parametrize(
    "answer",
    [
        {"events": "not a list"},
        {"events": [{"event": "no_such_event"}]},
        {"events": [], "responses": ["not an object"]},
    ],
)
def test_a_malformed_answer_is_still_refused_with_rasas_hint(answer):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_answer_kb", None)._validate_action_result(answer)
