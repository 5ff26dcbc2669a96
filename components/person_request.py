"""A request for a person is request_human, however it is worded.

DIET learns the usual wordings; the ones it has not seen ("talk to the billing
person", "no quiero hablar con un robot") fell to faq or the fallback, and a
customer who asks for a person and gets an article is the worst miss there is.
This component runs after the classifier and the fallback: when the message
asks for someone to talk to (common.answers.requests_person, phrases in
catalog/answers.yml), or says praise or a complaint to the team (which the
communication channel takes), the intent becomes request_human with full
confidence.
Rule-based, like the catalog entities: it is edited without retraining and
either matches or not; which queue the request names is read later, by the
handoff form, from the same vocabulary.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.answers import requests_person, speaks_to_the_team

INTENT_NAME = "request_human"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonRequestClassifier(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonRequestClassifier:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # A button's payload ("/inform{...}") is what was clicked, not words.
            if text.startswith("/") or (message.get(INTENT) or {}).get("name") == INTENT_NAME:
                continue
            if requests_person(text) or speaks_to_the_team(text):
                chosen = {"name": INTENT_NAME, "confidence": 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != INTENT_NAME]
                message.set(INTENT, chosen, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)
        return messages
