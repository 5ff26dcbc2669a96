"""Finding 7, the processes: production's Rasa has no HTTP API and only the
hub's channel, which checks RASA_TOKEN; the action server listens on loopback
however it is started; every message the hub sends carries Rasa's token."""

from __future__ import annotations

import os
import shlex
import subprocess
import textwrap

import pytest
import yaml

from tests.conftest import BIN, ROOT


def commands(procfile: str):
    lines = (ROOT / procfile).read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line and not line.startswith("#"))


def test_production_rasa_has_no_api_and_the_hubs_channel_only():
    rasa = shlex.split(commands("Procfile.production")["rasa"])
    assert "--enable-api" not in rasa
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert rasa[rasa.index("--credentials") + 1] == "credentials.production.yml"
    assert rasa[rasa.index("--endpoints") + 1] == "endpoints.production.yml"
    channels = yaml.safe_load((ROOT / "credentials.production.yml").read_text())
    assert list(channels) == ["channels.hub.HubInput"]


def test_every_procfile_starts_the_action_server_on_loopback():
    for procfile in ("Procfile", "Procfile.production"):
        assert commands(procfile)["actions"].startswith("SANIC_HOST=127.0.0.1 "), procfile


def test_the_action_server_binds_loopback_even_when_told_otherwise(monkeypatch):
    import rasa_sdk_plugins

    class App:
        def listener(self, event):
            return lambda function: function

    monkeypatch.setenv("SANIC_HOST", "0.0.0.0")
    rasa_sdk_plugins.Loopback().attach_sanic_app_extensions(App())
    assert os.environ["SANIC_HOST"] == "127.0.0.1"
    monkeypatch.delenv("SANIC_HOST")
    rasa_sdk_plugins.Loopback().attach_sanic_app_extensions(App())
    assert os.environ["SANIC_HOST"] == "127.0.0.1"


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_the_hub_channel_refuses_calls_without_rasas_token():
    """In the assistant's environment (channels/hub.py imports Rasa)."""
    check = textwrap.dedent(
        """
        from channels.hub import refused
        assert refused("", "secret") and refused("Bearer wrong", "secret") and refused("Bearer sécret", "secret")
        assert not refused("Bearer secret", "secret")
        assert not refused("", None), "without RASA_TOKEN (development) the channel is open, on loopback"
        print("ok")
        """
    )
    result = subprocess.run([str(BIN / "python"), "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


@pytest.mark.processes  # runs a command line: no fixture tells (tests/conftest.py)
def test_the_actions_send_the_token_of_the_message_they_answer():
    """In the assistant's environment: hub_client reads the token from the latest message only."""
    check = textwrap.dedent(
        """
        from rasa_sdk import Tracker
        from actions import hub_client
        message = {"text": "oi", "metadata": {"hub_token": "t-123"}}
        about = hub_client.about(Tracker("conv-1", {}, message, [], False, None, {}, "action_listen"))
        assert about == "conv-1" and about.token == "t-123"
        old = [{"event": "user", "text": "x", "metadata": {"hub_token": "old"}}]
        bare = hub_client.about(Tracker("conv-1", {}, {"text": "oi"}, old, False, None, {}, "action_listen"))
        assert bare.token == ""
        print("ok")
        """
    )
    result = subprocess.run([str(BIN / "python"), "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]
