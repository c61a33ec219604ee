"""The runnable examples in pipeline.stats docstrings are true (as pingouin runs its own), and
every public function of the per-cell modules has one."""
from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import pipeline.stats

MODULES = sorted(m.name for m in pkgutil.iter_modules(pipeline.stats.__path__, "pipeline.stats."))
# vectorized.py and riskadjust.py carry examples where they have them, but are not held to one
# per function here (their owners reshape them)
WITH_EXAMPLES = [f"pipeline.stats.{m}" for m in
                 ("_checks", "difference", "effect", "multiplicity", "pooling", "proportion", "wilcoxon")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def _public_functions(module):
    for fname, obj in vars(module).items():
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not fname.startswith("_"):
            yield fname, obj


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_every_public_function_has_an_example(name):
    module = importlib.import_module(name)
    missing = [fname for fname, obj in _public_functions(module)
               if "Examples\n    --------" not in (obj.__doc__ or "") or ">>> " not in (obj.__doc__ or "")]
    assert list(_public_functions(module)), f"{name} has no public function"
    assert not missing, f"{name}: no Examples section in {missing}"
