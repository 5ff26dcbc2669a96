"""common/answers.py: a typed answer to an option question, read against the
buttons of domain.yml; and the never-loop rule of the intake walked with
answers that are never understood. (The held-out accuracy is measured by
tests/test_typed_answers.py through the model; these are the rules.)"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict

import pytest
import yaml

from actions import incident, intake, options
from common.answers import Option, Question, requests_person, resolve, score, speaks_to_the_team
from components.catalog import load_catalog
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
NOW = datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)


def read(slot: str, text: str, lang: str = "pt", intent: str | None = None):
    return resolve(options.asked(DOMAIN, slot, lang), text, lang, intent=intent)


@pytest.mark.parametrize(
    "slot, text, lang, value",
    [
        # the button's own title, in any case, without accents, in another language
        ("incident_origin", "ANALISE DE NOVA VERSAO", "pt", "new_version"),
        ("incident_origin", "Beta o piloto", "pt", "beta"),
        # paraphrases with words around them
        ("incident_affected_users", "acho que só eu mesmo", "pt", "one"),
        ("incident_affected_users", "pues a toda la empresa", "es", "all"),
        ("incident_operation_stopped", "não, dá pra ir contornando", "pt", "partly"),
        ("incident_operation_stopped", "nope, still working", "en", "no"),
        # a negation turns the phrase after it, within its clause only
        ("incident_operation_stopped", "no está detenida", "es", "no"),
        ("incident_cloud", "não, fica num servidor nosso", "pt", "no"),
        ("incident_cloud", "fica no servidor da empresa", "pt", "no"),
        ("incident_after_update", "não atualizamos nada", "pt", "no"),
        # yes/no with a reason
        ("incident_after_update", "yes we patched it on monday", "en", "yes"),
        ("intake_duplicate", "sí, es ese mismo", "es", "yes"),
        ("intake_confirmed", "pode mandar", "pt", "yes"),
        ("intake_confirmed", "espera, o produto tá errado", "pt", "edit"),
        # the n-th button
        ("incident_database", "o segundo", "pt", "SQL Server"),
        ("incident_category", "opción 4", "es", "customization"),
        ("handoff_topic", "the last one", "en", "communication"),
        # a typo in a title
        ("incident_origin", "implemntation", "en", "implementation"),
    ],
)
def test_typed_answers_resolve_to_their_option(slot, text, lang, value):
    found = read(slot, text, lang)
    assert (found.kind, found.value) == ("answer", value)


def test_two_options_equally_named_are_both_offered():
    found = read("incident_category", "é um erro ou uma dúvida, não sei")
    assert found.kind == "ambiguous" and set(found.candidates) == {"bug", "question"}


def test_nonsense_and_i_dont_know_are_not_answers():
    assert read("incident_affected_users", "xpto blah").kind == "none"
    assert read("incident_cloud", "sei lá").kind == "unknown"
    assert read("incident_cloud", "hmm", intent="affirm").value == "yes"  # NLU's yes, when nothing else says


def test_a_yes_to_a_single_article_picks_it():
    question = Question("intake_related", (Option("attachments", ("Anexos",)), Option("none", ("Nenhum",))))
    assert resolve(question, "sim", "pt").value == "attachments"
    assert resolve(question, "nenhum desses", "pt").value == "none"


@pytest.mark.parametrize(
    "text, value",
    [("9", 9), ("nota 10!", 10), ("7/10", 7), ("dou um oito", 8), ("de 0 a 10, 6", 6), ("zero", 0), ("11", None)],
)
def test_survey_scores(text, value):
    assert score(text) == value


def test_stop_like_answers_are_answers_not_stops():
    question = options.asked(DOMAIN, "incident_operation_stopped", "pt")
    turn = incident.Turn("incident_operation_stopped", "em parte", "stop", question=question)
    result = incident.step({}, turn, load_catalog(), "pt", NOW, {})
    assert not result.reject and result.updates["incident_operation_stopped"] == "partly"
    turn = incident.Turn("incident_operation_stopped", "pare", "stop", question=question)
    assert incident.step({}, turn, load_catalog(), "pt", NOW, {}).reject


def walk_with_nonsense(lang: str, first: Dict[str, Any]) -> Dict[str, Any]:
    """Runs the intake's questions as Rasa would, answering every one with
    nonsense; returns the final state and how often each was asked in a row."""
    state: Dict[str, Any] = dict(first)
    labels = intake.form_labels(DOMAIN, lang)
    asked_in_a_row, last, turns = 0, None, 0
    while (requested := incident.next_slot(state)) is not None:
        turns += 1
        assert turns < 120, f"the intake never ends: still asking {requested}"
        asked_in_a_row = asked_in_a_row + 1 if requested == last else 1
        assert asked_in_a_row <= incident.MAX_ATTEMPTS, f"{requested} asked {asked_in_a_row} times in a row"
        last = requested
        turn = incident.Turn(
            requested,
            "qwzx plof",
            "nlu_fallback",
            question=intake.question_for(DOMAIN, _Tracker(state), requested, lang)
            if requested != "intake_related"
            else None,
            attempt=asked_in_a_row,
        )
        result = incident.step(state, turn, load_catalog(), lang, NOW, labels)
        assert not result.reject
        state.update(result.updates)
    return state


class _Tracker:
    def __init__(self, state: Dict[str, Any]) -> None:
        self.state = state

    def get_slot(self, name: str) -> Any:
        return self.state.get(name)


@pytest.mark.parametrize("lang", ["pt", "es", "en"])
def test_an_intake_answered_with_nonsense_ends_without_a_ticket(lang):
    state = walk_with_nonsense(lang, {"intake_eligibility": "ok"})
    # Every field was noted as unknown (or the customer's own word), and the
    # confirmation, never given, left the intake paused: no ticket.
    assert incident.outcome(state) == "paused"
    assert state["incident_category"] == incident.UNKNOWN


def test_a_request_names_a_queue_only_outright():
    topic = options.asked(DOMAIN, "handoff_topic", "pt")
    assert resolve(topic, "quero falar com o financeiro", "pt", strict=True).value == "administrative"
    # "preciso" is one letter from "precio" (price): a request, not a billing question.
    assert resolve(topic, "preciso falar com um analista", "pt", strict=True).kind == "none"
    assert resolve(topic, "preciso falar com um analista", "pt").kind == "none"
    assert resolve(topic, "quero falar sobre um problema", "pt", strict=True).kind == "none"  # weak: ask


def test_one_typo_in_a_long_word_is_forgiven():
    assert read("intake_confirmed", "preciso corrijir uma coisa").value == "edit"


def test_a_known_word_is_not_a_typo_of_another():
    # "analyst" is one letter from "analyse", but it is a word of its own.
    assert read("incident_category", "stop, just connect me to the analyst", "en").kind == "none"


@pytest.mark.parametrize(
    "text",
    [
        "me passa pra um atendente, por favor",
        "quiero hablar con facturación",
        "necesito un asesor",
        "I don't want to talk to a bot",
        "não quero falar com robô",
        "could you connect me to the support team?",
        "speak with a person from accounts",
    ],
)
def test_a_request_for_a_person_in_any_wording(text):
    assert requests_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "o analista disse que eu preciso reiniciar o servidor",  # someone named, nobody asked for
        "quero falar sobre a fatura de outubro",  # a verb, but no one after it
        "do you have analysts who speak English?",  # a question about the team
        "me passa o número do suporte",
        "I need help with my invoice",
        "are you a bot?",
        "já falei com o suporte ontem",
        "como funciona o chat com analista?",  # the chat, a noun
        "quero falar com um comercial, qual o telefone?",  # how to reach them: an article
        "por que pedem pra atualizar antes de ligar pro suporte?",
    ],
)
def test_not_a_request_for_a_person(text):
    assert not requests_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "quero elogiar a analista que me atendeu ontem",
        # praise of someone on the team, without a word for praise
        "just wanted to say Ana from support was AMAZING yesterday, fixed it in 10 min",
        "a atendente Carla foi excelente, resolveu tudo rapidinho",
        "el analista de soporte fue muy amable, me ayudó mucho",
    ],
)
def test_words_for_the_team(text):
    assert speaks_to_the_team(text)


@pytest.mark.parametrize(
    "text",
    [
        "o sistema esta excelente mas a nota fiscal nao sai",  # nobody on the team
        "preciso de suporte, o sistema esta muito ruim",  # a complaint word alone is a problem, not feedback
        "the support article was not helpful, can you send another?",  # a question
    ],
)
def test_not_words_for_the_team(text):
    assert not speaks_to_the_team(text)


@pytest.mark.parametrize(
    "text, lang, stated",
    [
        ("o Protheus no Oracle dá erro ao emitir nota fiscal de saída", "pt", {}),
        ("erro ao apontar a ordem de produção no PCP", "pt", {}),
        ("está tudo parado, todo mundo sem conseguir faturar", "pt", {"incident_affected_users": "all"}),
        ("our whole company is stopped since the update, it's in the cloud", "en", {"incident_cloud": "yes"}),
    ],
)
def test_a_first_message_states_options_only_in_words_that_cannot_be_something_else(text, lang, stated):
    found = intake.stated_first(DOMAIN, text, {}, lang)
    assert {slot: found[slot] for slot in stated} == stated and set(found) >= set(stated)
    if not stated:
        assert found == {}


def test_a_word_of_the_yes_button_is_not_a_yes():
    found = read("handoff_ticket", "hace una semana que nadie responde mi solicitud, es una falta de respeto", "es")
    assert not found.answered
    assert read("handoff_ticket", "sí, ábrela", "es").value == "yes"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("quero abrir um chamado, o Logix trava ao faturar", "o Logix trava ao faturar"),
        ("preciso abrir um chamado porque a nota não grava no Protheus", "a nota não grava no Protheus"),
        ("necesito abrir un ticket, el winthor se cuelga al facturar", "el winthor se cuelga al facturar"),
        ("open a ticket pls, Logix freezes when I post invoices", "Logix freezes when I post invoices"),
        ("quero abrir um chamado", ""),
        ("can you open a ticket for me?", ""),
        # a question on how to, a refusal, a ticket already opened: not a request
        ("how do i open a ticket on the portal?", None),
        ("¿cómo abro una solicitud?", None),
        ("cancela, não quero mais abrir chamado", None),
        ("I opened a ticket yesterday and nobody answered", None),
    ],
)
def test_a_request_to_open_a_ticket_and_the_problem_it_states(text, problem):
    from common.answers import requests_ticket

    assert requests_ticket(text) == problem


@pytest.mark.parametrize(
    "text, upset",
    [
        ("que saco, tchau", True),
        ("this was useless. bye", True),
        ("no me ayudaste en nada, chau", True),
        ("valeu, tchau!", False),
        ("thanks, bye", False),
        ("gracias, hasta luego", False),
    ],
)
def test_an_unhappy_goodbye_is_heard(text, upset):
    from common.answers import sounds_upset

    assert sounds_upset(text) is upset


def test_an_unhappy_goodbye_needs_both_the_goodbye_and_the_mood():
    from common.answers import leaves_upset

    assert leaves_upset("isso não serviu pra nada, tchau") and leaves_upset("useless bot. bye")
    assert not leaves_upset("o relatório não serve pra nada") and not leaves_upset("obrigado, tchau")


@pytest.mark.parametrize(
    "text, lang, value",
    [
        # "después" is also a "not now"; the answer is the "sí" it opens with.
        ("si, dale, registralo asi me llaman despues", "es", "yes"),
        ("no, despues lo abro yo", "es", "no"),
        ("yes, later today would be great", "en", "yes"),
        ("sim, pode registrar que depois eu vejo", "pt", "yes"),
    ],
)
def test_a_yes_or_no_that_opens_the_message_is_the_answer(text, lang, value):
    assert read("handoff_ticket", text, lang).value == value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tienen analistas que hablen ingles? tenemos gente de la filial de miami", True),
        ("vcs tem analista que fala ingles?", True),
        ("do you have analysts who speak spanish?", True),
        ("quero falar com um analista", False),
        ("el sistema no habla con el servidor en ingles", False),
    ],
)
def test_asking_who_speaks_a_language(text, expected):
    from common.answers import asks_who_speaks

    assert asks_who_speaks(text) is expected


def test_an_unhappy_goodbye_in_spanish_is_read_as_one():
    from common.answers import leaves_upset

    assert leaves_upset("no me sirvio de nada todo esto, ya me canse, chau")
    assert not leaves_upset("listo, ya me funciono, chau")
