"""spaCy tokens and lemmas in the language each message is written in.

Rasa's own SpacyTokenizer loads one pretrained spaCy model for the whole
assistant. Carolina speaks three languages and may not download models, so this
tokenizer keeps a blank spaCy pipeline per language (pt, es, en) with the lookup
lemmatizer from spacy-lookups-data, and picks one per message:

* training examples say their language in their intent metadata
  (`metadata: {language: pt}` in data/nlu/<lang>/*.yml);
* at run time the language is identified from the text
  (components.language), with the portal's locale, when the client sends one,
  as a tie-breaker.

Tokens and lemmas are accent-folded and lower-cased ("Não"/"nao" -> "nao",
"olvidé" -> "olvide", lemma "olvidar"), so the featurizers see the same feature
whether or not the customer typed accents. The identified language is added to the parse result as
`language` (`{"name", "confidence"}`); actions/language.py decides the slot.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LanguageIdentifier,
    fold,
    normalise_code,
    spacy_pipeline,
)

logger = logging.getLogger(__name__)

LANGUAGE_PROPERTY = "language"
_COUNTS_FILE = "language_counts.json"


def _labelled_language(message: Message) -> str | None:
    """The language written in the training data, if any."""
    metadata = message.get(METADATA) or {}
    if not isinstance(metadata, dict):
        return None
    intent_metadata = metadata.get(METADATA_INTENT) or {}
    if isinstance(intent_metadata, dict) and intent_metadata.get("language"):
        return normalise_code(intent_metadata["language"])
    return None


def _client_language(message: Message) -> str | None:
    """The language the client (portal locale) sent with the message, if any."""
    metadata = message.get(METADATA) or {}
    if isinstance(metadata, dict):
        return normalise_code(metadata.get("language"))
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class LanguageTokenizer(Tokenizer, GraphComponent):
    """Tokenizes with the spaCy pipeline of the message's language."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> List[str] | None:
        return list(LANGUAGES)

    @staticmethod
    def required_packages() -> List[str]:
        # Names must be importable modules and distributions both (rasa checks
        # the first and fingerprints the second), which rules out lingua.
        return ["spacy", "spacy_lookups_data"]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        identifier: LanguageIdentifier | None = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self.identifier = identifier or LanguageIdentifier.empty()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageTokenizer:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        labelled = [
            (message.get(TEXT), lang)
            for message in training_data.training_examples
            if message.get(TEXT) and (lang := _labelled_language(message))
        ]
        self.identifier = LanguageIdentifier.fit(labelled)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _COUNTS_FILE).write_text(json.dumps(self.identifier.counts, ensure_ascii=False))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageTokenizer:
        try:
            with model_storage.read_from(resource) as directory:
                counts = json.loads((directory / _COUNTS_FILE).read_text())
            identifier = LanguageIdentifier(counts)
        except (ValueError, FileNotFoundError):
            logger.warning("No language counts in the model; using lingua alone.")
            identifier = None
        return cls(config, model_storage, resource, identifier)

    def _language_of(self, message: Message, attribute: str) -> str:
        labelled = _labelled_language(message)
        if labelled:
            return labelled
        cached = message.get(LANGUAGE_PROPERTY)
        if isinstance(cached, dict) and cached.get("name") in LANGUAGES:
            return cached["name"]
        text = message.get(attribute) or ""
        guess = self.identifier.identify(text, prior=_client_language(message))
        if attribute == TEXT:
            message.set(
                LANGUAGE_PROPERTY,
                {"name": guess.language, "confidence": round(guess.confidence, 4)},
                add_to_output=True,
            )
        return guess.language or DEFAULT_LANGUAGE

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        text = message.get(attribute)
        lang = self._language_of(message, attribute)
        doc = spacy_pipeline(lang)(text)
        tokens = []
        for t in doc:
            if t.is_space:
                continue
            # Both forms folded (same length as the original, so offsets and
            # entity spans stay valid): the lemma feeds the word features, the
            # surface form the character n-grams (config.yml), which keeps short
            # words whose lemma depends on the guessed language ("no": Portuguese
            # "em + o", English "no") recognisable.
            tokens.append(Token(fold(t.text), t.idx, lemma=fold(t.lemma_ or t.text)))
        return self._apply_token_pattern(tokens)
