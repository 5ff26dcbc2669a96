"""Goodbye in the customer's mood: "que saco, tchau" is not "it was a pleasure"."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from common.answers import sounds_upset


class ActionGoodbye(Action):
    """A farewell that says sorry when the customer leaves unhappy, and says
    where help still is; the cheerful one otherwise."""

    def name(self) -> str:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        dispatcher.utter_message(response="utter_goodbye_sorry" if sounds_upset(text) else "utter_goodbye")
        return []
