"""The knowledge base on disk, its generated training data, search and decision (no Rasa)."""

from __future__ import annotations

import re

import pytest

from common.kb.answer import KbDecision, Thresholds, decide, focused, part_answers, selector_ranking, shown_articles
from common.kb.articles import LANGUAGES, KnowledgeBaseError, load_library
from common.kb.evaluation import Question, Shown, score
from common.kb.search import Hit, default_index
from common.kb.training_data import DEFAULT_ROOT, render, render_responses


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_every_article_exists_in_three_languages_with_at_least_40_topics(library):
    ids = {lang: set(articles) for lang, articles in library.items()}
    assert ids["pt"] == ids["es"] == ids["en"]
    assert len(ids["pt"]) >= 40


def test_articles_keep_the_seed_facts(library):
    # A few facts that must read as in the support guides, in every language
    # (patterns allow each language's way of writing times: 13:30, 13h30).
    facts = {
        "forgot_password": ["4003-0015"],
        "support_hours": [r"\b0?7", "19"],
        "attachments": ["20", "3"],
        "phone_numbers_international": ["5295 9300", "01-800-913-55-29", "0800-55-372"],
        "admin_financial_center": [r"13[:h]30", "18"],
        "communication_channel": [r"13[:h]30", r"17[:h]30"],
        "cloud_support": ["24", "7"],
        "technical_consulting": ["10"],
        "lgpd_personal_data": ["13.709"],
        "sales_contact": [r"0800 70 98 100"],
    }
    for article_id, needles in facts.items():
        for lang in LANGUAGES:
            article = library[lang][article_id]
            text = article.summary + article.body
            for needle in needles:
                assert re.search(needle, text), (lang, article_id, needle)


def test_generated_faq_data_is_up_to_date(library):
    for lang in LANGUAGES:
        generated = (DEFAULT_ROOT.parent / "nlu" / lang / "kb_faq.yml").read_text(encoding="utf-8")
        assert generated == render(library, lang), f"run `python -m common.kb build` ({lang})"
    responses = (DEFAULT_ROOT.parent / "nlu" / "kb_responses.yml").read_text(encoding="utf-8")
    assert responses == render_responses(library)


def test_a_broken_article_is_reported_with_its_file(tmp_path):
    for lang in LANGUAGES:
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "x.md").write_text(
            "---\nid: x\ntitle: X\nqueue: technical_support\nproduct: all\ntags: [a]\nsource: s\n"
            "summary: s\nexamples: [a]\n---\nbody\n"
        )
    assert set(load_library(tmp_path)["pt"]) == {"x"}
    (tmp_path / "es" / "x.md").write_text("---\nid: x\ntitle: [unclosed\n---\n")
    with pytest.raises(KnowledgeBaseError, match=re.escape(str(tmp_path / "es" / "x.md"))):
        load_library(tmp_path)
    (tmp_path / "es" / "x.md").unlink()
    with pytest.raises(KnowledgeBaseError, match="data/kb/es lacks"):
        load_library(tmp_path)


@pytest.mark.parametrize(
    "query, lang, expected",
    [
        ("esqueci minha senha", "pt", "forgot_password"),
        ("olvide mi contrasena", "es", "forgot_password"),
        ("telefono de soporte en colombia", "es", "phone_numbers_international"),
        ("how big can an attachment be", "en", "attachments"),
    ],
)
def test_search_finds_the_article(query, lang, expected):
    assert default_index().search(query, lang)[0].article_id == expected


def test_search_crosses_languages():
    # "Busca Unificada" is the Portuguese name; the English question uses it as is.
    assert default_index().search("where is the busca unificada", "en")[0].article_id == "unified_search"


def test_search_finds_nothing_for_unrelated_words():
    assert default_index().search("xyzzy plugh", "en") == []


def test_decision_answers_suggests_or_declines():
    t = Thresholds(bm25_weight=0.5, bm25_half=4.0, answer=0.8, margin=0.2, suggest=0.3)
    sure = decide([Hit("a", 0.9), Hit("b", 0.05)], [Hit("a", 8.0)], t)
    assert (sure.kind, sure.article_id) == ("answer", "a")
    unsure = decide([Hit("a", 0.45), Hit("b", 0.4)], [Hit("b", 2.0)], t)
    assert unsure.kind == "suggest" and set(unsure.suggestions) == {"a", "b"}
    assert decide([Hit("a", 0.1)], [], t).kind == "none"
    assert decide([], [], t).kind == "none"


def test_an_article_well_ahead_is_the_answer_with_the_runners_up_beside_it():
    t = Thresholds(
        bm25_weight=1.0, bm25_half=4.0, answer=1.2, suggest=0.15, lead=0.6, lead_margin=0.3, lead_support=0.1
    )
    ahead = decide([Hit("a", 0.7), Hit("b", 0.2), Hit("c", 0.1)], [Hit("a", 1.0)], t)
    assert ahead.kind == "answer" and ahead.article_id == "a" and ahead.related == ("b",)
    assert shown_articles(ahead) == ("a", ("a", "b"))
    level = decide([Hit("a", 0.5), Hit("b", 0.4)], [], t)
    assert level.kind == "suggest", "two articles close together stay a list"
    unsupported = decide([Hit("a", 0.9), Hit("b", 0.1)], [Hit("b", 2.0)], t)
    assert unsupported.kind == "suggest", "ahead for the ResponseSelector alone, BM25 finds another: a list"


def test_selector_ranking_reads_rasas_parse_result():
    parse = {
        "response_selector": {
            "faq": {
                "ranking": [
                    {"intent_response_key": "faq/forgot_password", "confidence": 0.8},
                    {"intent_response_key": "faq/portal_access", "confidence": 0.1},
                ]
            }
        }
    }
    assert selector_ranking(parse) == [Hit("forgot_password", 0.8), Hit("portal_access", 0.1)]
    assert selector_ranking({}) == []


def test_both_rankings_first_on_the_same_article_is_an_answer_below_the_answer_score():
    t = Thresholds(answer=1.2, lead=9.0, agree_margin=0.15, agree_support=0.4)
    # Fused 0.35 + 3/(3+4) = 0.78: no answer on the score, but both rankings put "a" first.
    agreed = decide([Hit("a", 0.35), Hit("b", 0.1), Hit("c", 0.05)], [Hit("a", 3.0), Hit("b", 1.0)], t)
    assert agreed.kind == "answer" and agreed.article_id == "a" and agreed.related == ("b",)
    assert decide([Hit("a", 0.35), Hit("b", 0.3)], [Hit("a", 3.0)], t).kind == "suggest", "no margin: a list"
    assert decide([Hit("a", 0.35), Hit("b", 0.1)], [Hit("a", 1.0)], t).kind == "suggest", "BM25 barely finds it"
    assert decide([Hit("a", 0.35), Hit("b", 0.1)], [Hit("b", 3.0), Hit("a", 2.9)], t).kind == "suggest"
    # BM25 sure of it (squashed 8/12): the ResponseSelector's first place is enough, however close.
    assert decide([Hit("a", 0.2), Hit("b", 0.19)], [Hit("a", 8.0), Hit("b", 3.0)], t).article_id == "a"


def test_the_catch_all_article_answers_only_when_bm25_agrees_with_weight():
    # "Fix my printer": the ResponseSelector is sure of "what support does not cover", BM25 a little.
    sure = [Hit("out_of_scope", 0.95), Hit("support_scope", 0.02)]
    assert decide(sure, [Hit("out_of_scope", 3.7), Hit("remote_access", 2.3)]).kind == "suggest"
    assert decide(sure, [Hit("remote_access", 3.0)]).kind == "suggest"
    # "Does support do accounting audits?": both rankings, BM25 strongly.
    assert decide(sure, [Hit("out_of_scope", 6.6), Hit("support_hours", 0.7)]).article_id == "out_of_scope"


def parse(intent: str, *ranking: tuple) -> dict:
    faq = [{"intent_response_key": f"faq/{a}", "confidence": c} for a, c in ranking]
    return {"intent": {"name": intent}, "response_selector": {"faq": {"ranking": faq}}}


def test_a_message_asking_two_things_is_answered_part_by_part_only_when_two_parts_are():
    hours = (parse("faq", ("support_hours", 0.95)), [Hit("support_hours", 8.0)])
    files = (parse("faq", ("attachments", 0.9)), [Hit("attachments", 6.0)])
    vague = (parse("faq", ("attachments", 0.2), ("support_hours", 0.19)), [])
    assert part_answers([hours, files]) == ("support_hours", "attachments")
    assert part_answers([hours, vague]) == (), "one answer: the message is read as a whole"
    assert part_answers([hours, (parse("greet", ("attachments", 0.9)), [Hit("attachments", 6.0)])]) == ()
    assert part_answers([hours, (None, [Hit("attachments", 6.0)]), hours]) == ()


def test_a_list_for_the_whole_message_gives_way_to_the_one_part_answered_from_it():
    listed = KbDecision("suggest", suggestions=("find_portal_admin", "portal_admin", "add_users"))
    answer = focused(listed, ("find_portal_admin",))
    assert (answer.kind, answer.article_id) == ("answer", "find_portal_admin")
    assert answer.related == ("portal_admin", "add_users")
    assert focused(listed, ("support_hours",)) is listed, "a part answered outside the list: no agreement"
    assert focused(listed, ("find_portal_admin", "add_users")) is listed, "two parts: answered part by part instead"
    assert focused(KbDecision("none"), ("find_portal_admin",)).kind == "none"


def test_a_message_answered_part_by_part_is_right_when_one_of_its_answers_is():
    asked = [Question("q1", "pt", "attachments", "dev"), Question("q2", "pt", "forgot_password", "dev")]
    both = Shown("support_hours", ("support_hours", "attachments"), also_answered=("attachments",))
    result = score(asked, [both, both])
    assert (result.answered_right, result.answered_wrong, result.top1) == (0.5, 0.5, 0.0)
