"""Plain code that both the hub and Rasa's side (the NLU components and the
actions) need: text folding and the reading of typed answers. No web,
database or Rasa imports here."""
