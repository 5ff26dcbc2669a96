"""Adapters to what is outside the hub: Rasa's HTTP API, SMTP, rate limits."""
