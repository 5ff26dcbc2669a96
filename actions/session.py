"""Session start: carry the conversation's language over, or take the portal's."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from common.languages import normalise_code

SESSION_METADATA_SLOT = "session_started_metadata"
CARRIED_SLOTS = ("language", "locale")


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        for slot in CARRIED_SLOTS:
            value = tracker.get_slot(slot)
            if value is not None:
                events.append(SlotSet(slot, value))
        metadata = tracker.get_slot(SESSION_METADATA_SLOT) or {}
        locale = normalise_code(metadata.get("language")) if isinstance(metadata, dict) else None
        if locale:
            events += [SlotSet("language", locale), SlotSet("locale", locale)]
        events.append(ActionExecuted("action_listen"))
        return events
