"""Every SQL file of sql/ passes sqlfluff with the house configuration (.sqlfluff at the root).

Linting all of sql/ takes sqlfluff 20-50 s on this machine (parsing, not the rules, is the
cost), so each file's result is cached in pytest's cache under a key made of the file's text,
the configuration and sqlfluff's version: a run re-lints only the files that changed, and the
first run lints on two processes. Fix a file with ``.venv/bin/sqlfluff fix <file>``.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

sqlfluff = pytest.importorskip("sqlfluff")

ROOT = Path(__file__).resolve().parents[2]
SQL = ROOT / "sql"
CONFIG = ROOT / ".sqlfluff"

# Files known to fail, with the rules they fail (none now; the test says when a listed file passes).
KNOWN_FAILURES: dict[str, set[str]] = {}

_linter = None


def _lint_one(path: str) -> list[tuple[str, int, str]]:
    """(rule, line, description) of each violation of one file (runs in a worker process)."""
    global _linter
    if _linter is None:
        from sqlfluff.core import FluffConfig, Linter

        _linter = Linter(config=FluffConfig.from_path(str(ROOT)))
    text = Path(path).read_text(encoding="utf-8")
    linted = _linter.lint_string(text, fname=path)
    return [(v.rule_code(), v.line_no, v.desc()) for v in linted.get_violations()]


def _key(path: Path, salt: str) -> str:
    digest = hashlib.sha256((salt + path.read_text(encoding="utf-8")).encode()).hexdigest()
    return f"sqlfluff/{digest}"


@pytest.fixture(scope="module")
def violations(request) -> dict[str, list[tuple[str, int, str]]]:
    files = sorted(SQL.rglob("*.sql"))
    salt = sqlfluff.__version__ + CONFIG.read_text(encoding="utf-8")
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    found: dict[str, list] = {}
    todo: list[Path] = []
    for f in files:
        hit = cache.get(_key(f, salt), None) if cache is not None else None
        if hit is None:
            todo.append(f)
        else:
            found[f.relative_to(SQL).as_posix()] = [tuple(v) for v in hit]
    if todo:
        workers = min(2, os.cpu_count() or 1, len(todo))
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(_lint_one, [str(f) for f in todo], chunksize=4))
        else:
            results = [_lint_one(str(f)) for f in todo]
        for f, res in zip(todo, results):
            found[f.relative_to(SQL).as_posix()] = res
            if cache is not None:
                cache.set(_key(f, salt), [list(v) for v in res])
    return found


def test_every_sql_file_is_linted(violations):
    assert len(violations) == len(list(SQL.rglob("*.sql"))) > 100


def test_sql_passes_sqlfluff(violations):
    bad = {
        name: [v for v in found if v[0] not in KNOWN_FAILURES.get(name, set())]
        for name, found in violations.items()
    }
    report = [f"sql/{name}:{line}: {rule} {desc}" for name, found in sorted(bad.items()) for rule, line, desc in found]
    assert not report, "sqlfluff (fix with .venv/bin/sqlfluff fix <file>):\n" + "\n".join(report)


def test_known_failures_still_fail(violations):
    fixed = [name for name in KNOWN_FAILURES if not violations.get(name)]
    assert not fixed, f"these files pass sqlfluff now: remove them from KNOWN_FAILURES: {fixed}"
