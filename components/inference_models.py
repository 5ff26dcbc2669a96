"""DIET and the ResponseSelector, trained as Rasa trains them, loaded only to predict.

Rasa loads each of these models by training it on one example first ("to build
weights of the correct size"): Keras traces the whole training graph, gradients
and Adam's two slots per weight, then overwrites every weight from the saved
file. In the Rasa server that step was ~20 s and ~580 MB for DIET and ~280 MB
for the ResponseSelector (issue 21, bench/README.md). A forward pass builds the
same weights; the saved ones then replace them all (checked: every weight of the
model must be found in the file), and the prediction graph is traced again so
that nothing computed from the placeholder weights stays in it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Optional, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


class _LoadsToPredict:
    @classmethod
    def load(  # type: ignore[no-untyped-def]
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ):
        if finetune_mode or predict_data_example is None:
            # Training further needs the optimizer: Rasa's own way.
            return super().load(  # type: ignore[misc]
                model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs
            )
        model = cls(*args, **kwargs)
        model.run_inference(predict_data_example)
        loaded = model.load_weights(model_file_name)
        loaded.assert_existing_objects_matched()
        # The file also holds the optimizer's slots, which prediction never needs:
        # not restoring them is the point, not a warning for the log.
        loaded.expect_partial()
        # The label embeddings and the traced graph were made from the
        # placeholder weights: computed again from the loaded ones.
        model.prepared_for_prediction = False
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model


@cache
def loads_to_predict(model_class: Type[RasaModel]) -> Type[RasaModel]:
    """`model_class`, trained the same, loaded with a forward pass instead of a training step."""
    return type(model_class.__name__, (_LoadsToPredict, model_class), {})


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class InferenceDIETClassifier(DIETClassifier):
    @property
    def name(self) -> str:
        # Entities say which extractor found them; actions and reports know DIET's name.
        return DIETClassifier.__name__

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return loads_to_predict(DIET)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class InferenceResponseSelector(ResponseSelector):
    @staticmethod
    def model_class(use_text_as_label: bool) -> Type[RasaModel]:  # type: ignore[override]
        return loads_to_predict(ResponseSelector.model_class(use_text_as_label))
