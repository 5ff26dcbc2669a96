"""Custom Rasa graph components (NLU) of Carolina."""
