"""tests/assistant imports Rasa and the actions in process, so it runs in the
assistant's environment (Python 3.10, Rasa's pins). `make test` runs it from
here, as one test of the hub's session, so that both share one Rasa server
instead of loading the model twice; its own report is printed, and on a
failure the tail of it is the assertion message."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import BIN, ROOT


def test_the_assistants_tests_pass(rasa_server):
    args = os.environ.get("CAROLINA_ASSISTANT_PYTEST_ARGS", "-q").split()
    result = subprocess.run(
        [str(BIN / "python"), "-m", "pytest", "tests/assistant", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=dict(os.environ, CAROLINA_TEST_RASA_URL=rasa_server),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(result.stdout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
