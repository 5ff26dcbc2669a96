"""The personal-data detector (bot/domain/masking.py) on the customer-written
corpus (tests/privacy/corpus.yml): every secret gone, nothing else touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from bot.domain.masking import KINDS, Masked, marker, mask

CORPUS = Path(__file__).resolve().parent / "corpus.yml"


def load_corpus() -> Dict[str, List[Any]]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


CASES = load_corpus()
POSITIVES = CASES["positives"]
NEGATIVES = CASES["negatives"]


def test_the_corpus_is_large_enough():
    assert len(POSITIVES) >= 150 and len(NEGATIVES) >= 150
    for kind in KINDS:
        assert sum(kind in case["kinds"] for case in POSITIVES) >= 30, kind


def test_recall_is_total():
    misses = []
    for case in POSITIVES:
        language = case.get("lang", "pt")
        masked = mask(case["text"], language)
        problems = [f"kept {secret!r}" for secret in case["secrets"] if secret in masked.text]
        if masked.kinds != set(case["kinds"]):
            problems.append(f"kinds {sorted(masked.kinds)} != {sorted(case['kinds'])}")
        problems += [f"no {marker(k, language)}" for k in case["kinds"] if marker(k, language) not in masked.text]
        if problems:
            misses.append(f"{case['text']!r} -> {masked.text!r}: {'; '.join(problems)}")
    assert not misses, "\n".join(misses)


def test_no_false_positives():
    touched = [f"{text!r} -> {mask(text).text!r}" for text in NEGATIVES if mask(text).changed]
    assert not touched, "\n".join(touched)
    assert all(mask(text).text == text and not mask(text).kinds for text in NEGATIVES)


@pytest.mark.parametrize(
    "language, expected",
    [
        ("pt", ["[CPF]", "[CNPJ]", "[cartão]", "[senha]"]),
        ("es", ["[CPF]", "[CNPJ]", "[tarjeta]", "[contraseña]"]),
        ("en", ["[CPF]", "[CNPJ]", "[card]", "[password]"]),
        ("pt-BR", ["[CPF]", "[CNPJ]", "[cartão]", "[senha]"]),
        (None, ["[CPF]", "[CNPJ]", "[cartão]", "[senha]"]),
        ("fr", ["[CPF]", "[CNPJ]", "[cartão]", "[senha]"]),
    ],
)
def test_markers_per_language(language, expected):
    assert [marker(kind, language) for kind in KINDS] == expected


def test_a_message_with_every_kind_in_the_conversations_language():
    text = "cpf 529.982.247-25, cnpj 11.222.333/0001-81, card 4111 1111 1111 1111, password: Xy9#abc"
    masked = mask(text, "en")
    assert masked.text == "cpf [CPF], cnpj [CNPJ], card [card], password: [password]"
    assert masked.kinds == frozenset(KINDS) and masked.changed


@pytest.mark.parametrize(
    "number",
    [
        "529.982.247-24",
        "52998224726",
        "11.222.333/0001-82",
        "11222333000180",
        "12.ABC.345/01DE-34",
        "4111 1111 1111 1112",
        "5555555555554445",
        "378282246310006",
    ],
)
def test_wrong_check_digits_are_left_alone(number):
    text = f"o número é {number}, confere?"
    assert mask(text) == Masked(text, frozenset())


def test_masking_masked_text_changes_nothing():
    for case in POSITIVES:
        once = mask(case["text"], case.get("lang", "pt"))
        twice = mask(once.text, case.get("lang", "pt"))
        assert twice.text == once.text and not twice.kinds, once.text


def test_a_long_message_is_masked_throughout():
    filler = "o relatório da versão 12.1.2310 trava no chamado 2026-000123 desde 05/12/2026. "
    text = (filler * 60)[:1900] + " meu cpf é 529.982.247-25 " + (filler * 60)[:1900] + " senha: Fim@2026"
    assert len(text) <= 4000
    masked = mask(text)
    assert masked.kinds == {"cpf", "password"}
    assert "529.982.247-25" not in masked.text and "Fim@2026" not in masked.text
    assert masked.text.count("12.1.2310") == text.count("12.1.2310")


def test_plain_text_is_returned_as_it_is():
    assert mask("") == Masked("", frozenset())
    assert mask("oi, tudo bem?", "es") == Masked("oi, tudo bem?", frozenset())
