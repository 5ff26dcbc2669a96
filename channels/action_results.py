"""The action server's answers checked against their schema once compiled, not per call.

Rasa checks every answer of the action server against a JSON schema before it
applies the events (`RemoteAction._validate_action_result`). It does so with
`jsonschema.validate`, which first checks the *schema itself* against the
metaschema and builds a new validator, every time. Profiled under load
(`python -m bench profile`, bench/README.md), that was a third of the Rasa
server's CPU: about 30 ms per call on this machine, and a turn makes one to three
calls (the language mapping after every message, a form's validation, the
action itself), where checking the answer with a validator built once takes
1.5 ms.

`install()` replaces the method with one that builds the validator on the first
call and reuses it. The check is the same schema, the same validator class and
the same error (with Rasa's hint appended), so a malformed answer is still
refused exactly as before. Rasa's server imports this through the hub channel
(channels/hub.py), which every deployment enables.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.cache
def _validator() -> Any:
    # The schema is a constant of Rasa's (built by a method, but from nothing of the action's).
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
