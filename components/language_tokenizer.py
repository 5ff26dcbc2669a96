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

Trained, it keeps of each lemma table only the entries that can change a word
feature (components.feature_lemmas) and the model carries them: the Rasa server
never loads spaCy's whole tables (issue 21). A model trained before that loads
them whole, as it was trained with.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Mapping

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.lemmas import lemma_pipeline
from components.feature_lemmas import feature_lemmas, seen_words
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
_LEMMAS_FILE = "feature_lemmas.json"


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
        lemmas: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self.identifier = identifier or LanguageIdentifier.empty()
        # Built now, not on the first message of each language: the server's
        # start-up, not a customer, waits for them.
        self.pipelines = {
            lang: lemma_pipeline(lang, lemmas[lang]) if lemmas is not None else spacy_pipeline(lang)
            for lang in LANGUAGES
        }

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
        lemmas = self._feature_lemmas(training_data)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _COUNTS_FILE).write_text(json.dumps(self.identifier.counts, ensure_ascii=False))
            (directory / _LEMMAS_FILE).write_text(json.dumps(lemmas, ensure_ascii=False, sort_keys=True))
        return self._resource

    def _feature_lemmas(self, training_data: TrainingData) -> Dict[str, Dict[str, str]]:
        """The entries of each language's lemma table that can change a word feature.

        The words a featurizer can learn are those of the tokens and lemmas of
        every attribute this tokenizer reads (the texts, the responses); each is
        read in all three languages, a superset of the one the tokenizer will
        pick, so the choice cannot matter."""
        texts = [
            text
            for message in training_data.training_examples
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES
            if isinstance(text := message.get(attribute), str) and text
        ]
        seen = seen_words(
            form
            for lang in LANGUAGES
            for doc in self.pipelines[lang].pipe(texts)
            for token in doc
            for form in (token.text, token.lemma_)
        )
        return {lang: feature_lemmas(lang, seen) for lang in LANGUAGES}

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageTokenizer:
        identifier, lemmas = None, None
        try:
            with model_storage.read_from(resource) as directory:
                identifier = LanguageIdentifier(json.loads((directory / _COUNTS_FILE).read_text()))
                lemmas = json.loads((directory / _LEMMAS_FILE).read_text())
        except (ValueError, FileNotFoundError):
            if identifier is None:
                logger.warning("No language counts in the model; using lingua alone.")
            else:
                logger.warning("A model trained without feature lemmas: loading spaCy's whole lemma tables.")
        return cls(config, model_storage, resource, identifier, lemmas)

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
        doc = self.pipelines[lang](text)
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
