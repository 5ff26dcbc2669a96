"""Entities from the product catalog, found with spaCy patterns per language:
product and database names (catalog/products.yml), versions and ticket numbers.

Rule-based on purpose: the catalog changes more often than the model is trained,
a name the customer types is either in it or not, and a version has a shape, not
a meaning. DIET still learns the entities that need context (requested_language).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.matcher import Matcher

from common.lemmas import tokenizer
from components.catalog import TICKET_NUMBER_PATTERN, VERSION_PATTERN, Catalog, load_catalog
from components.language import DEFAULT_LANGUAGE, LANGUAGES, fold

LANGUAGE_PROPERTY = "language"  # set by components.language_tokenizer


def _fold_in_place(text: str) -> str:
    """fold() character by character, so offsets in the result are offsets in `text`."""
    return "".join(f if len(f := fold(c)) == 1 else c for c in text)


def _matcher(lang: str, catalog: Catalog) -> Matcher:
    # Token patterns need no lemmas: the tokenizer alone, without spaCy's tables.
    nlp = tokenizer(lang)
    matcher = Matcher(nlp.vocab)
    for kind, names in catalog.names.items():
        for name, aliases in names.items():
            # Token patterns on folded lower-case text: "SQL Server", "sqlserver", "SQL-Server".
            patterns = [[{"NORM": token.norm_} for token in nlp.make_doc(alias)] for alias in aliases]
            matcher.add(f"{kind}\t{name}", patterns)
    matcher.add("version\t", [[{"TEXT": {"REGEX": VERSION_PATTERN}}]])
    # One token, or three where a language's tokenizer splits at the dash (en).
    year, _, sequence = TICKET_NUMBER_PATTERN.strip("^$").partition("-")
    split = [{"TEXT": {"REGEX": f"^{year}$"}}, {"TEXT": "-"}, {"TEXT": {"REGEX": f"^{sequence}$"}}]
    matcher.add("ticket_number\t", [[{"TEXT": {"REGEX": TICKET_NUMBER_PATTERN}}], split])
    return matcher


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CatalogEntityExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogEntityExtractor:
        return cls(config)

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config
        catalog = load_catalog()
        self.matchers = {lang: _matcher(lang, catalog) for lang in LANGUAGES}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "", self._language(message))
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found), add_to_output=True)
        return messages

    @staticmethod
    def _language(message: Message) -> str:
        guess = message.get(LANGUAGE_PROPERTY)
        name = guess.get("name") if isinstance(guess, dict) else None
        return name if name in LANGUAGES else DEFAULT_LANGUAGE

    def extract(self, text: str, lang: str) -> List[Dict[str, Any]]:
        doc = tokenizer(lang).make_doc(_fold_in_place(text))
        spans = []
        for match_id, start, end in self.matchers[lang](doc):
            kind, _, name = doc.vocab.strings[match_id].partition("\t")
            spans.append((start, end, kind, name))
        entities = []
        taken: set[int] = set()
        # Longest first, so "linha consinco" wins over "consinco".
        for start, end, kind, name in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
            if taken.intersection(range(start, end)):
                continue
            taken.update(range(start, end))
            span = doc[start:end]
            raw = text[span.start_char : span.end_char]
            entities.append(
                {
                    "entity": kind,
                    "start": span.start_char,
                    "end": span.end_char,
                    "value": name or (raw.lstrip("vV") if kind == "version" else raw),
                    "confidence": 1.0,
                }
            )
        return sorted(entities, key=lambda e: e["start"])
