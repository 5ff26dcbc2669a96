"""Generates the FAQ training data from the articles: `python -m common.kb build`.

data/nlu/<lang>/kb_faq.yml holds the retrieval intent `faq/<article id>` with
each article's example questions, tagged with the language like every other NLU
file. Rasa's ResponseSelector learns from it; the answer text itself is read
from the article at run time (actions/knowledge.py), so only the examples go
into training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import yaml

from common.kb.articles import DEFAULT_ROOT, LANGUAGES, Library, load_library

HEADER = "# Generated from data/kb/{lang}/*.md by `python -m common.kb build`. Do not edit.\n"


def render(library: Library, lang: str) -> str:
    blocks = []
    for article_id, article in sorted(library[lang].items()):
        examples = "".join(f"    - {example}\n" for example in article.examples)
        blocks.append(f"- intent: faq/{article_id}\n  metadata:\n    language: {lang}\n  examples: |\n{examples}")
    return HEADER.format(lang=lang) + 'version: "3.1"\nnlu:\n' + "".join(blocks)


def build(root: Path = DEFAULT_ROOT, out: Path = DEFAULT_ROOT.parent / "nlu") -> Dict[str, Path]:
    library = load_library(root)
    written = {}
    for lang in LANGUAGES:
        path = out / lang / "kb_faq.yml"
        content = render(library, lang)
        yaml.safe_load(content)  # fail here, not in rasa, if an example breaks YAML
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        written[lang] = path
    path = out / "kb_responses.yml"
    content = render_responses(library)
    if not path.exists() or path.read_text(encoding="utf-8") != content:
        path.write_text(content, encoding="utf-8")
    written["responses"] = path
    return written


def render_responses(library: Library) -> str:
    """`utter_faq/<id>` with the article's summary per language: what Rasa's own
    retrieval action (`utter_faq`) would say. Carolina answers through
    actions/knowledge.py instead, but the responses keep the retrieval intent
    complete for `rasa data validate` and for anyone scripting plain Rasa."""
    responses = {}
    for article_id in sorted(library[LANGUAGES[0]]):
        variations = []
        for lang in LANGUAGES:
            variation: Dict[str, Any] = {"text": library[lang][article_id].summary}
            if lang != LANGUAGES[0]:
                variation = {"condition": [{"type": "slot", "name": "language", "value": lang}], **variation}
            variations.append(variation)
        responses[f"utter_faq/{article_id}"] = variations
    body = yaml.safe_dump({"version": "3.1", "responses": responses}, allow_unicode=True, sort_keys=False, width=1000)
    return "# Generated from data/kb/*/*.md by `python -m common.kb build`. Do not edit.\n" + body
