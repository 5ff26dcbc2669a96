"""What the hub's channel into Rasa (channels/hub.py) tells the hub beside the replies."""

from __future__ import annotations

from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered

from channels.hub import asked_when, nlu_summary


def test_a_message_a_form_asked_for_carries_the_slot_it_answers():
    product = UserUttered("protheus", {"name": "greet", "confidence": 0.55})
    question = UserUttered("qual o horário?", {"name": "faq", "confidence": 0.97})
    events = [
        UserUttered("quero abrir um chamado"),
        ActiveLoop("incident_form"),
        SlotSet("requested_slot", "incident_product"),
        product,
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        question,
    ]
    assert asked_when(events, product) == "incident_product"
    assert asked_when(events, question) is None, "no form was asking any more"
    assert asked_when(events, events[0]) is None
    assert nlu_summary(product, "incident_product")["form_slot"] == "incident_product"
