"""Plain code that both the hub and Rasa's side (the NLU components and the
actions) need: language codes and text folding, the knowledge base (articles,
search, the answer decision), the clock, and the reading of typed answers.
No web, database or Rasa imports here (tests/test_layers.py checks it)."""
