"""Intent recognition on the held-out files in tests/nlu/ (never used for training).

Each message is parsed by the running Rasa server without any language hint, as
a customer typing into a page with no locale would send it. The test fails when
an individual language's macro-F1 drops under 0.9.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import requests
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import accuracy_score, f1_score

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT = ROOT / "tests" / "nlu"
MIN_MACRO_F1 = 0.9


def holdout() -> Dict[str, List[Tuple[str, str]]]:
    examples: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    for path in sorted(HOLDOUT.glob("*.yml")):
        for message in load_data(str(path)).training_examples:
            language = message.get("metadata")["intent"]["language"]
            examples[language].append((message.get("text"), message.get("intent")))
    return examples


@pytest.fixture(scope="module")
def predictions(rasa_server):
    results = {}
    session = requests.Session()
    for language, examples in holdout().items():
        rows = []
        for text, intent in examples:
            parsed = session.post(f"{rasa_server}/model/parse", json={"text": text}, timeout=30).json()
            rows.append((text, intent, parsed["intent"]["name"], parsed.get("language", {}).get("name")))
        results[language] = rows
    return results


def test_holdout_covers_every_language_and_intent():
    examples = holdout()
    assert set(examples) == {"pt", "es", "en"}
    for language, rows in examples.items():
        assert len({intent for _, intent in rows}) >= 13, language


@pytest.mark.parametrize("language", ["pt", "es", "en"])
def test_intent_macro_f1_per_language(predictions, language, record_property):
    rows = predictions[language]
    expected = [r[1] for r in rows]
    predicted = [r[2] for r in rows]
    # Averaged over the intents of the held-out file: a message that falls back
    # (nlu_fallback) counts as a miss for its intent, not as a class of its own.
    macro_f1 = f1_score(expected, predicted, labels=sorted(set(expected)), average="macro", zero_division=0)
    accuracy = accuracy_score(expected, predicted)
    record_property(f"{language}_macro_f1", round(macro_f1, 4))
    errors = [(t, e, p) for t, e, p, _ in rows if e != p]
    print(f"\n{language}: n={len(rows)} accuracy={accuracy:.3f} macro-F1={macro_f1:.3f}")
    for error in errors:
        print("   miss:", error)
    assert macro_f1 >= MIN_MACRO_F1, errors


def test_language_identification_on_holdout(predictions):
    # Messages of three words or more are the ones allowed to switch the
    # conversation's language (actions/language.py), so they must be right.
    long_rows = [(lang, r) for lang, rows in predictions.items() for r in rows if len(r[0].split()) >= 3]
    correct = sum(1 for lang, r in long_rows if r[3] == lang)
    accuracy = correct / len(long_rows)
    print(f"\nlanguage identification, >=3 words: {accuracy:.3f} of {len(long_rows)}")
    assert accuracy >= 0.95
