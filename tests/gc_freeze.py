"""Keeps the suite's long-lived objects out of Python's full garbage collections.

Every training ends in accelerate's `free_memory()`, which runs `gc.collect()`: with torch, transformers,
sentence-transformers, datasets and sklearn imported, one full collection walks over half a million objects
(seconds on the loaded 2-core machine), and the suite trains over a hundred times. The imported modules never
become garbage, so after a test that imported new modules they are collected once and frozen (`gc.freeze`):
later collections skip them and still free everything the tests create. Off with `-p no:tests.gc_freeze`.
"""

from __future__ import annotations

import gc
import sys

import pytest

_modules_when_frozen = [0]


@pytest.fixture(autouse=True)
def _freeze_imported_modules():
    yield
    if len(sys.modules) > _modules_when_frozen[0]:
        gc.collect()  # this test's garbage goes now, not into the frozen generation
        gc.freeze()
        _modules_when_frozen[0] = len(sys.modules)
