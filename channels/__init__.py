"""Rasa input channels of the project (listed in credentials.yml)."""
