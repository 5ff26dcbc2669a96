"""Importing a library without the optional backends it probes for.

thinc (under spaCy) imports TensorFlow and PyTorch when they are installed, and
bm25s imports JAX, only to offer them as backends. The assistant's environment has
TensorFlow and JAX for Rasa's NLU, so the action server, which only tokenises text
and sums BM25 scores, would carry about 500 MB of them (issue 21).
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Sequence

# Probed backends, never used to tokenise text or score BM25.
UNUSED_BACKENDS: Sequence[str] = ("tensorflow", "torch", "jax")

_lock = threading.Lock()


def import_without(name: str, unused: Sequence[str] = UNUSED_BACKENDS) -> ModuleType:
    """Import `name` while the `unused` packages look not installed to it.

    A package already imported stays what it is (Rasa's NLU server has loaded
    TensorFlow before its components read words): only a process that has not
    loaded them keeps them out. Afterwards they can be imported normally."""
    with _lock:
        if name in sys.modules:
            return sys.modules[name]
        hidden = [package for package in unused if package not in sys.modules]
        for package in hidden:
            # None in sys.modules makes `import package` raise ImportError, which is
            # how these libraries learn that a backend is absent.
            sys.modules[package] = None  # type: ignore[assignment]
        try:
            return importlib.import_module(name)
        finally:
            for package in hidden:
                if package in sys.modules and sys.modules[package] is None:
                    del sys.modules[package]
