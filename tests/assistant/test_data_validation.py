"""`rasa data validate` is clean, except for warnings Rasa cannot avoid here.

Rasa warns about every response no story or rule names; Carolina's custom
actions send some responses themselves (with parameters), so those warnings are
accepted only for responses an action in actions/ really sends. Any other
warning fails the test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Warnings that are Rasa's, not the data's, each with the reason.
EXPECTED = {
    # The retrieval intent is declared in domain.yml and Rasa adds it again from
    # the NLU data of its examples.
    "The following duplicated intents have been found across multiple domain files: faq",
    # Rasa's retrieval action; Carolina answers questions with action_answer_kb.
    "The utterance 'utter_faq' is not used in any story or rule.",
    # Uttered by Rasa's built-in action_default_fallback.
    "The utterance 'utter_default' is not used in any story or rule.",
    # Answers inside the intake form: actions/incident.py reads them, no rule does.
    "The intent 'inform' is not used in any story or rule.",
    "The intent 'dont_know' is not used in any story or rule.",
}


def responses_sent_by_actions() -> set:
    sent = set()
    for path in (ROOT / "actions").glob("*.py"):
        sent |= set(re.findall(r"\"(utter_\w+)\"", path.read_text()))
    return sent


def response_families_sent_by_actions() -> tuple:
    """Prefixes of responses whose names actions build: f"utter_ticket_status_{status}",
    and the utter_label_* words that actions/intake.py label() puts inside others."""
    prefixes = {"utter_label_"}
    for path in (ROOT / "actions").glob("*.py"):
        prefixes |= set(re.findall(r"f\"(utter_\w+?)\{", path.read_text()))
    return tuple(prefixes)


def responses_asked_by_forms() -> set:
    """utter_ask_<slot>: Rasa's form sends them itself when it asks for the slot."""
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {f"utter_ask_{slot}" for form in (domain.get("forms") or {}).values() for slot in form["required_slots"]}


def test_rasa_data_validate_has_no_unexpected_warnings():
    result = subprocess.run(
        [str(BIN / "rasa"), "data", "validate", "--domain", "domain.yml", "--data", "data"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    warnings = {w.strip() for w in re.findall(r"UserWarning: (.*)", output)}
    allowed = EXPECTED | {
        f"The utterance '{name}' is not used in any story or rule."
        for name in responses_sent_by_actions() | responses_asked_by_forms()
    }
    families = response_families_sent_by_actions()
    unexpected = {
        w
        for w in warnings - allowed
        if not (
            re.match(r"The utterance '(\w+)' is not used", w)
            and re.match(r"The utterance '(\w+)'", w)[1].startswith(families)
        )
    }
    assert unexpected == set(), output[-4000:]
