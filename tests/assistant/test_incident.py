"""The intake form's reading of answers (actions/incident.py), without Rasa:
what fills a field, what gets a re-ask, corrections, "I don't know", the order
of questions and how an intake ends."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from actions import incident
from actions.incident import Turn, display_values, next_slot, outcome, step
from components.catalog import load_catalog
from components.catalog_entities import CatalogEntityExtractor

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
CATALOG = load_catalog()
LABELS = {spec.slot: spec.slot for spec in incident.FIELDS}
EXTRACTOR = CatalogEntityExtractor({})


def answer(requested, text, lang="pt", intent="inform", state=None, is_question=False):
    entities = EXTRACTOR.extract(text, lang)
    return step(state or {}, Turn(requested, text, intent, entities, is_question), CATALOG, lang, NOW, LABELS)


def complete(**changes):
    state = {
        "intake_eligibility": "ok",
        "incident_category": "bug",
        "incident_product": "Protheus",
        "incident_routine": "faturamento",
        "incident_version": "12.1.2310",
        "incident_origin": "production",
        "incident_system_environment": "staging",
        "incident_database": "Oracle",
        "incident_cloud": "no",
        "incident_summary": "erro ao emitir nota fiscal",
        "incident_description": "ao confirmar a nota aparece erro de chave duplicada e nada grava",
        "incident_steps": "abrir a rotina e confirmar",
        "incident_expected": "gravar a nota",
        "incident_since": "ontem",
        "incident_after_update": "no",
        "incident_affected_users": "all",
        "incident_operation_stopped": "yes",
    }
    state.update(changes)
    return state


def test_the_catalog_fills_product_version_and_database_from_one_sentence():
    entities = EXTRACTOR.extract("o Protheus 12.1.2310 no Oracle dá erro ao emitir nota", "pt")
    assert {(e["entity"], e["value"]) for e in entities} == {
        ("product", "Protheus"),
        ("version", "12.1.2310"),
        ("database", "Oracle"),
    }
    assert EXTRACTOR.extract("what is the progress of my ticket 2026-000123?", "en") == [
        {"entity": "ticket_number", "start": 34, "end": 45, "value": "2026-000123", "confidence": 1.0}
    ]


@pytest.mark.parametrize(
    "lang,text,expected",
    [
        ("pt", "é um erro no sistema", "bug"),
        ("es", "una duda", "question"),
        ("en", "an improvement idea", "suggestion"),
    ],
)
def test_choices_are_understood_typed_in_any_language(lang, text, expected):
    assert answer("incident_category", text, lang).updates["incident_category"] == expected


def test_an_unknown_product_offers_the_closest_ones():
    result = answer("incident_product", "Protheos")
    assert result.updates == {"incident_product": None}
    assert result.responses[0][0] == "utter_intake_product_suggestions" and "Protheus" in result.offer
    nothing = answer("incident_product", "Zzyzx Enterprise")
    assert nothing.responses[0][0] == "utter_intake_product_unknown" and not nothing.offer


def test_a_malformed_version_is_asked_again_with_where_to_find_it():
    assert answer("incident_version", "a última").responses == [("utter_intake_bad_version", {"value": "a última"})]
    assert answer("incident_version", "é a v12.1.33").updates == {"incident_version": "12.1.33"}


def test_a_description_too_short_to_act_on_is_asked_again():
    result = answer("incident_description", "deu erro")
    assert result.responses == [("utter_intake_too_short", {"minimum": 8})]
    assert result.updates == {"incident_description": None}


@pytest.mark.parametrize(
    "lang,text,expected",
    [
        ("pt", "desde ontem", "2026-11-22"),
        ("es", "desde el 10/11/2026", "2026-11-10"),
        ("en", "3 days ago", "2026-11-20"),
        # NOW is Monday 2026-11-23; dateparser read "esta mañana" as tomorrow and missed the others.
        ("es", "desde esta mañana", "2026-11-23"),
        ("es", "desde el mes pasado", "2026-10-24"),
        ("en", "since this morning", "2026-11-23"),
        ("pt", "desde o começo do mês", "2026-11-01"),
        ("en", "a couple of days ago", "2026-11-20"),
    ],
)
def test_since_when_reads_dates_in_three_languages(lang, text, expected):
    assert answer("incident_since", text, lang).updates["incident_since_date"] == expected


def test_a_date_in_the_future_is_refused():
    assert answer("incident_since", "desde 10/12/2026").responses == [("utter_intake_future_date", {})]


def test_i_dont_know_fills_optional_fields_only():
    assert answer("incident_steps", "não sei", intent="dont_know").updates == {"incident_steps": incident.UNKNOWN}
    required = answer("incident_product", "não sei", intent="dont_know")
    assert required.responses == [("utter_intake_needed", {})] and required.updates == {"incident_product": None}


@pytest.mark.parametrize(
    "requested, text, intent, lang",
    [
        ("incident_database", "ni idea, eso lo ve el de sistemas", "dont_know", "es"),
        ("incident_version", "no se cual version, eso lo ve sistemas", "inform", "es"),
        ("incident_cloud", "i dont know", "dont_know", "en"),
    ],
)
def test_a_required_field_not_known_twice_is_noted_as_unknown(requested, text, intent, lang):
    first = step({}, Turn(requested, text, intent, (), attempt=1), CATALOG, lang, NOW, LABELS)
    assert first.responses == [("utter_intake_needed", {})] and first.updates == {requested: None}
    second = step({}, Turn(requested, text, intent, (), attempt=2), CATALOG, lang, NOW, LABELS)
    assert second.updates == {requested: incident.UNKNOWN} and second.responses == []


def test_a_correction_of_another_field_is_noted_and_the_question_repeated():
    state = complete(incident_description=None, incident_database="Oracle")
    result = answer("incident_description", "na verdade é SQL Server", state=state)
    assert result.updates == {"incident_database": "SQL Server", "incident_description": None}
    assert result.responses[0][0] == "utter_intake_noted"


def test_a_correction_at_the_summary_shows_it_again():
    result = answer("intake_confirmed", "actually it's SQL Server", "en", state=complete())
    assert result.updates["incident_database"] == "SQL Server"
    assert result.updates["intake_confirmed"] is None


def test_a_question_is_rejected_so_rasa_answers_it():
    assert answer("incident_summary", "qual o horário do suporte?", intent="faq", is_question=True).reject
    assert answer("incident_category", "para", intent="stop").reject


def test_the_previous_version_is_not_mistaken_for_the_current_one():
    result = answer("incident_previous_version", "era a 12.1.2210", state=complete(incident_after_update="yes"))
    assert result.updates == {"incident_previous_version": "12.1.2210"}


def test_questions_come_in_order_and_skip_what_is_known():
    assert next_slot({"intake_eligibility": "ok"}) == "incident_category"
    assert next_slot({"intake_eligibility": "ok", "incident_category": "bug", "incident_product": "RM"}) == (
        "incident_routine"
    )
    assert next_slot({"intake_eligibility": "anonymous"}) is None
    assert next_slot({"intake_eligibility": "ok", "incident_category": "suggestion"}) is None
    assert next_slot(complete(incident_after_update="yes")) == "incident_previous_version"
    assert next_slot(complete()) == "intake_confirmed"
    assert next_slot(complete(), duplicate_candidate=True) == "intake_duplicate"
    assert next_slot(complete(), related=["support_hours"]) == "intake_related"
    assert next_slot(complete(intake_related="support_hours")) == "intake_solved"
    assert next_slot(complete(intake_confirmed="edit")) == "intake_edit_field"


def test_editing_a_field_asks_it_again_then_the_summary():
    state = complete(intake_confirmed="edit")
    result = step(
        state,
        Turn("intake_edit_field", "/inform", "inform", [{"entity": "intake_edit_field", "value": "incident_version"}]),
        CATALOG,
        "pt",
        NOW,
        LABELS,
    )
    after = {**state, **result.updates}
    assert next_slot(after) == "incident_version"
    after["incident_version"] = "12.1.2410"
    assert next_slot(after) == "intake_confirmed"


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"intake_eligibility": "anonymous"}, "login"),
        ({"intake_eligibility": "blocked"}, "blocked"),
        ({"incident_category": "suggestion"}, "suggestion"),
        ({"intake_duplicate": "yes"}, "duplicate"),
        ({"intake_related": "x", "intake_solved": "yes"}, "deflected"),
        ({"intake_confirmed": "yes"}, "create"),
        ({}, "incomplete"),
    ],
)
def test_how_an_intake_ends(changes, expected):
    assert outcome(complete(**changes)) == expected


def test_impact_and_urgency_come_from_plain_questions():
    assert incident.impact_and_urgency(complete()) == ("high", "high")
    state = complete(incident_affected_users="one", incident_operation_stopped="partly")
    assert incident.impact_and_urgency(state) == ("low", "medium")


def test_the_system_environment_comes_after_the_origin_and_takes_i_dont_know():
    assert next_slot(complete(incident_system_environment=None)) == "incident_system_environment"
    assert next_slot(complete(incident_origin=None, incident_system_environment=None)) == "incident_origin"
    for lang, text, value in (
        ("pt", "na base de testes", "staging"),
        ("pt", "homologação", "staging"),
        ("es", "en el ambiente de pruebas", "staging"),
        ("en", "QA", "staging"),
        ("pt", "prod", "production"),
        ("en", "development", "development"),
        ("pt", "não sei", "unknown"),
    ):
        assert answer("incident_system_environment", text, lang).updates["incident_system_environment"] == value, text


def copy(text, state=None, attempt=1, lang="pt"):
    turn = Turn("intake_copy", text, "inform", (), attempt=attempt)
    return step(state or complete(intake_confirmed="cc"), turn, CATALOG, lang, NOW, LABELS)


def test_copying_someone_checks_each_address_then_shows_the_summary_again():
    state = complete(intake_confirmed="cc")
    assert next_slot(state) == "intake_copy"
    bad = copy("copia o gerente@empresa e a ana@acme.com.br", state)
    assert bad.responses == [("utter_intake_copy_invalid", {"value": "gerente@empresa"})]
    assert "intake_cc" not in bad.updates and next_slot({**state, **bad.updates}) == "intake_copy"
    assert copy("o gerente da TI", state).responses[0][0] == "utter_intake_copy_none"
    good = copy("copia o gerente@empresa.com.br, e a Ana@acme.com.br.", state)
    assert good.updates["intake_cc"] == ["gerente@empresa.com.br", "Ana@acme.com.br"]
    after = {**state, **good.updates}
    assert next_slot(after) == "intake_confirmed" and display_values(after, str)["cc"].count("@") == 2
    more = copy("ana@acme.com.br, p1@x.com p2@x.com p3@x.com p4@x.com", {**after, "intake_confirmed": "cc"})
    assert len(more.updates["intake_cc"]) == 5 and more.responses[0][0] == "utter_intake_copy_too_many"
    skipped = copy("pular", state)
    assert skipped.updates == {"intake_copy": None, "intake_confirmed": None} and not skipped.responses
    third = copy("gerente@empresa", state, attempt=3)
    assert next_slot({**state, **third.updates}) == "intake_confirmed"


def test_the_copy_button_and_typed_request_at_the_confirmation():
    pressed = step(
        complete(),
        Turn(
            "intake_confirmed",
            '/inform{"intake_confirmed": "cc"}',
            "inform",
            [{"entity": "intake_confirmed", "value": "cc"}],
        ),
        CATALOG,
        "pt",
        NOW,
        LABELS,
    )
    assert pressed.updates["intake_confirmed"] == "cc"
    typed = answer("intake_confirmed", "quero colocar meu gerente em cópia", state=complete())
    assert typed.updates["intake_confirmed"] == "cc"


def earlier(state, lang):
    """The option questions answered before, as domain.yml's buttons show them."""
    import yaml

    from actions import intake

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    return intake.earlier_questions(domain, state, None, lang)


@pytest.mark.parametrize(
    "lang, requested, text",
    [
        ("pt", "incident_routine", "pensando bem, na verdade é bug e nao duvida, o sistema fecha sozinho"),
        ("es", "incident_summary", "perdon, me corrijo: no es una duda, es un error"),
        ("en", "incident_description", "actually its not a question, its a bug"),
    ],
)
def test_changing_an_earlier_answer_corrects_it_and_asks_the_question_again(lang, requested, text):
    state = complete(incident_category="question", **{requested: None})
    turn = Turn(requested, text, "inform", (), earlier=earlier(state, lang))
    result = step(state, turn, CATALOG, lang, NOW, LABELS)
    assert result.updates == {"incident_category": "bug", requested: None}
    assert result.responses[0][0] == "utter_intake_noted" and not result.reject


def test_a_correction_given_with_the_version_keeps_the_version():
    state = complete(incident_category="question", incident_version=None)
    text = "12.1.2306. y perdon, me corrijo: no es una duda, es un error"
    turn = Turn("incident_version", text, "stop", (), earlier=earlier(state, "es"))
    result = step(state, turn, CATALOG, "es", NOW, LABELS)
    assert result.updates == {"incident_category": "bug", "incident_version": "12.1.2306"}


def test_without_a_word_of_correction_an_answer_is_only_an_answer():
    state = complete(incident_category="question", incident_routine=None)
    turn = Turn("incident_routine", "erro ao gerar o relatorio", "inform", (), earlier=earlier(state, "pt"))
    assert step(state, turn, CATALOG, "pt", NOW, LABELS).updates == {"incident_routine": "erro ao gerar o relatorio"}


@pytest.mark.parametrize(
    "lang, text, intent",
    [
        ("pt", "ja te falei isso ai em cima", "stop"),
        ("es", "ya te lo dije arriba, es lo mismo que te escribi al principio del chat", "inform"),
        ("en", "i already told you that", "stop"),
    ],
)
def test_i_told_you_already_is_neither_the_answer_nor_a_stop(lang, text, intent):
    result = answer("incident_steps", text, lang, intent=intent, state=complete(incident_steps=None))
    assert not result.reject
    assert result.updates == {"incident_steps": None}
    assert result.responses == [("utter_intake_already_said", {})]


def test_a_long_answer_that_mentions_it_was_said_is_an_answer():
    text = (
        "como eu disse, ao salvar o pedido aparece a mensagem de chave duplicada e o pedido nao grava de jeito nenhum"
    )
    result = answer("incident_description", text, state=complete(incident_description=None))
    assert result.updates == {"incident_description": text}


@pytest.mark.parametrize(
    "lang, text, expected",
    [
        (
            "pt",
            "erro no protheus 12.1.2310. na rotina MATA410 comecou segunda passada depois que atualizamos da 12.1.2210",
            {
                "incident_routine": "MATA410",
                "incident_since": "segunda",
                "incident_after_update": "yes",
                "incident_previous_version": "12.1.2210",
            },
        ),
        (
            "es",
            "la rutina FINA050 da error desde ayer, despues de actualizar de la 12.1.2210",
            {
                "incident_routine": "FINA050",
                "incident_since": "ayer",
                "incident_after_update": "yes",
                "incident_previous_version": "12.1.2210",
            },
        ),
        ("en", "MATR110 fails since yesterday", {"incident_routine": "MATR110", "incident_since": "yesterday"}),
        ("pt", "há um erro na tela de pedidos quando salvo desde o portal", {}),
        ("es", "hace un calculo mal en la version 12.1.2310", {}),
        ("en", "since the server was moved it fails on v12.1.33", {}),
    ],
)
def test_a_first_message_states_the_routine_since_when_and_the_update(lang, text, expected):
    found = incident.stated_details(text, lang, NOW, {"incident_version": "12.1.2310"})
    found.pop("incident_since_date", None)
    assert found == expected
