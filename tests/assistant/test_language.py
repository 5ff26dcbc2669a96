"""Unit tests of the language decision and identification (no Rasa server)."""

import pytest

from actions.language import LanguageEvidence, decide_language
from components.language import LanguageIdentifier, fold, normalise_code


@pytest.mark.parametrize(
    "value, code",
    [
        ("pt-BR", "pt"),
        ("es_AR", "es"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_normalise_code(value, code):
    assert normalise_code(value) == code


def test_fold_strips_accents_and_case():
    assert fold("Não CONSIGO acessar") == "nao consigo acessar"
    assert fold("Olvidé mi contraseña") == "olvide mi contrasena"


def test_explicit_request_wins_over_everything():
    e = LanguageEvidence(
        current="pt",
        requested="en",
        locale_now="pt",
        locale_before="pt",
        detected="pt",
        confidence=0.99,
        word_count=6,
    )
    assert decide_language(e) == "en"


def test_asking_whether_someone_speaks_a_language_is_not_a_switch():
    from actions.language import evidence_from_tracker

    class Tracker:
        latest_message = {
            "text": "vcs tem analista que fala ingles?",
            "entities": [{"entity": "requested_language", "value": "en"}],
            "language": {"name": "pt", "confidence": 0.9},
        }
        active_loop: dict = {}

        def get_slot(self, name):
            return {"language": "pt"}.get(name)

    e = evidence_from_tracker(Tracker())
    assert e.requested == "en" and e.about_someone and decide_language(e) == "pt"


def test_locale_change_switches_language():
    e = LanguageEvidence(
        current="pt",
        locale_before="pt",
        locale_now="es",
        detected="pt",
        confidence=0.6,
        word_count=1,
    )
    assert decide_language(e) == "es"


def test_unchanged_locale_does_not_undo_a_switch_the_customer_made():
    # The customer wrote English on a Portuguese portal; a later "ok" must not flip back.
    e = LanguageEvidence(
        current="en",
        locale_before="pt",
        locale_now="pt",
        detected="pt",
        confidence=0.6,
        word_count=1,
    )
    assert decide_language(e) == "en"


def test_confident_long_message_switches_language():
    e = LanguageEvidence(
        current="pt",
        locale_before="pt",
        locale_now="pt",
        detected="en",
        confidence=0.97,
        word_count=7,
    )
    assert decide_language(e) == "en"


@pytest.mark.parametrize("words, confidence", [(1, 0.99), (2, 0.99), (8, 0.6)])
def test_short_or_unsure_messages_never_switch(words, confidence):
    e = LanguageEvidence(current="pt", detected="es", confidence=confidence, word_count=words)
    assert decide_language(e) == "pt"


def test_first_message_takes_locale_then_detection():
    assert decide_language(LanguageEvidence(locale_now="es", detected="pt", confidence=0.7, word_count=1)) == "es"
    assert decide_language(LanguageEvidence(detected="es", confidence=0.7, word_count=1)) == "es"
    assert decide_language(LanguageEvidence(detected="es", confidence=0.3, word_count=1)) is None


def test_identifier_uses_the_support_vocabulary():
    identifier = LanguageIdentifier.fit(
        [
            ("quero abrir um chamado", "pt"),
            ("olá tudo bem", "pt"),
            ("tchau valeu", "pt"),
            ("quiero abrir una solicitud", "es"),
            ("hola qué tal", "es"),
            ("chau gracias", "es"),
            ("i want to open a ticket", "en"),
            ("hello there", "en"),
            ("bye thanks", "en"),
        ]
    )
    assert identifier.identify("olá").language == "pt"
    assert identifier.identify("abrir chamado").language == "pt"
    assert identifier.identify("abrir solicitud").language == "es"
    assert identifier.identify("open a ticket please").language == "en"


def test_prior_breaks_ties_only():
    identifier = LanguageIdentifier.empty()
    assert identifier.identify("", prior="es").language == "es"
    assert identifier.identify("I cannot log in to the portal", prior="es").language == "en"


def test_an_email_address_is_no_evidence_of_a_language():
    from rasa_sdk import Tracker

    from actions.language import evidence_from_tracker

    message = {"text": "copia a gerente.ti@acme.example", "language": {"name": "en", "confidence": 0.99}}
    tracker = Tracker("c1", {"language": "es"}, message, [], False, None, {}, "action_listen")
    evidence = evidence_from_tracker(tracker)
    assert evidence.word_count == 2 and decide_language(evidence) == "es"


def test_a_short_answer_to_a_form_question_does_not_switch_the_language():
    # "nota fiscal de salida" answering the routine question reads as Portuguese.
    answer = LanguageEvidence(current="es", detected="pt", confidence=0.95, word_count=4, answering=True)
    assert decide_language(answer) == "es"
    chat = LanguageEvidence(current="es", detected="pt", confidence=0.95, word_count=4)
    assert decide_language(chat) == "pt"
    long_answer = LanguageEvidence(current="es", detected="pt", confidence=0.95, word_count=9, answering=True)
    assert decide_language(long_answer) == "pt"
