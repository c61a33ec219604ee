"""The runnable examples in pipeline.stats docstrings are true (as pingouin runs its own)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pipeline.stats

MODULES = sorted(m.name for m in pkgutil.iter_modules(pipeline.stats.__path__, "pipeline.stats."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
