"""The Rasa server loads no more than it needs to answer (issue 21: 1.3 GB at most).

It once peaked at 2.1 GB: spaCy's whole pt and es lemma tables (~370 MB) and DIET
and the ResponseSelector each loaded by a training step (~860 MB). What NLU
outputs must not change: the lemmas kept give every word the features the whole
table gives it, and the models predict from the same weights."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.lemmas import lemma_lookup
from common.text import fold
from components.feature_lemmas import feature_lemmas, seen_words
from components.language_tokenizer import LanguageTokenizer

ROOT = Path(__file__).resolve().parents[2]
TRAINING_TEXTS = [
    ("Esqueci minha senha, não consigo acessar o portal", "pt"),
    ("Quero abrir um chamado: as notas fiscais não são emitidas", "pt"),
    ("Olvidé mi contraseña y no puedo entrar", "es"),
    ("Las facturas no se emiten desde ayer", "es"),
    ("I forgot my password and can't log in", "en"),
    ("The invoices were not issued yesterday", "en"),
]
RUN = re.compile(r"\w+")


def features(lemma: str, vocabulary: set) -> list:
    """What the word CountVectorsFeaturizer counts for a token with this lemma."""
    return [run for run in RUN.findall(fold(lemma).lower()) if run in vocabulary]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_word_gets_the_features_the_whole_table_gives_it(lang):
    seen = seen_words(text for text, _ in TRAINING_TEXTS) | {"ser", "estar", "be", "have", "go"}
    kept = feature_lemmas(lang, seen)
    whole = lemma_lookup(lang, lambda word, lemma: True)
    assert len(kept) < len(whole) / 10
    for word, lemma in whole.items():
        assert features(kept.get(word, word), seen) == features(lemma, seen), (word, lemma)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("tokenizer")
    context = ExecutionContext(GraphSchema({}), "test")
    config = LanguageTokenizer.get_default_config()
    examples = [Message.build(text, intent="x", intent_metadata={"language": lang}) for text, lang in TRAINING_TEXTS]
    LanguageTokenizer.create(config, storage, resource, context).train(TrainingData(examples))
    return LanguageTokenizer.load(config, storage, resource, context)


def test_the_loaded_tokenizer_holds_a_small_part_of_the_lemma_tables(trained):
    for lang, whole in (("pt", 825_000), ("es", 500_000)):
        table = trained.pipelines[lang].get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        assert len(table) < whole / 20, lang


def test_held_out_messages_get_the_lemmas_the_whole_tables_give_them(trained):
    from common.lemmas import spacy_pipeline

    vocabulary = seen_words(text for text, _ in TRAINING_TEXTS)
    for path in sorted((ROOT / "tests" / "nlu").glob("*.yml")):
        for message in load_data(str(path)).training_examples:
            text = message.get("text")
            for lang in ("pt", "es", "en"):
                small = [(t.text, features(t.lemma_ or t.text, vocabulary)) for t in trained.pipelines[lang](text)]
                whole = [(t.text, features(t.lemma_ or t.text, vocabulary)) for t in spacy_pipeline(lang)(text)]
                assert small == whole, (text, lang)


@pytest.mark.model
def test_diet_loaded_to_predict_has_the_trained_weights(model_path, tmp_path):
    """Rasa's own load (a training step, then the saved weights) and ours give the same model."""
    import numpy as np
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    from components.inference_models import InferenceDIETClassifier

    storage, metadata = LocalModelStorage.from_model_archive(tmp_path / "model", model_path)
    node = next(n for n in metadata.predict_schema.nodes.values() if issubclass(n.uses, DIETClassifier))
    directory = tmp_path / "model" / node.resource.name
    # Rasa names the files after the class: give each class the files the other wrote.
    for mine, theirs in (
        ("DIETClassifier.", "InferenceDIETClassifier."),
        ("InferenceDIETClassifier.", "DIETClassifier."),
    ):
        for path in list(directory.glob(mine + "*")):
            if not (directory / path.name.replace(mine, theirs, 1)).exists():
                shutil.copy(path, directory / path.name.replace(mine, theirs, 1))
    context = ExecutionContext(metadata.predict_schema, metadata.model_id)
    config = {**DIETClassifier.get_default_config(), **node.config}
    rasa_way = DIETClassifier.load(config, storage, node.resource, context).model
    ours = InferenceDIETClassifier.load(config, storage, node.resource, context).model
    assert [w.name for w in ours.weights] == [w.name for w in rasa_way.weights]
    for mine, theirs in zip(ours.weights, rasa_way.weights, strict=False):
        assert np.array_equal(mine.numpy(), theirs.numpy()), mine.name
    assert np.array_equal(ours.all_labels_embed.numpy(), rasa_way.all_labels_embed.numpy())
    assert not ours.optimizer or not ours.optimizer.variables()
