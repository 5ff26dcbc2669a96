"""A request to open a ticket is the intake, however it is worded.

"Quero abrir um chamado, o Logix trava ao faturar" and "open a ticket pls,
Logix freezes..." were read as questions (the how-to-open-a-ticket article and
its neighbours): the customer asked for the work and got reading. This
component runs after the person-request one: when the message asks outright to
open a ticket or report a problem (common.answers.requests_ticket, phrases in
catalog/answers.yml), the intent becomes report_problem when it also says what
the problem is, open_ticket when it does not. A request for a person, already
decided, stays one. Rule-based like the person request: edited without
retraining, it matches or not.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.answers import requests_ticket

# Intents that already mean what the request would (or that it must not overrule).
KEPT = ("open_ticket", "report_problem", "request_human", "stop")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TicketRequestClassifier(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TicketRequestClassifier:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or (message.get(INTENT) or {}).get("name") in KEPT:
                continue
            problem = requests_ticket(text)
            if problem is None:
                continue
            chosen = {"name": "report_problem" if problem else "open_ticket", "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != chosen["name"]]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)
        return messages
