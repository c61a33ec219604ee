"""README.md and docs/*.md name only files that exist (issue 15: true docs).

Every path-looking reference to the repository's own folders (``sql/...``, ``pipeline/...``,
``assets/...``, ``tests/...``, ``benchmarks/...``, ``docs/...``, ``notebooks/...``) must exist;
a glob (``sql/staging/*.sql``) must match at least one file, and ``<name>`` placeholders are
read as globs (of one or more folder levels). Files the pipeline writes at run time (``reports/``, ``data/``) are not checked.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FOLDERS = ("sql", "pipeline", "assets", "tests", "benchmarks", "docs", "notebooks")
# a path: one of the folders, then path characters; <placeholders> and * globs allowed
PATH = re.compile(r"(?<![\w./-])((?:%s)/[\w.*<>{}/-]*[\w*>/])" % "|".join(FOLDERS))


def references(text: str) -> list[str]:
    return sorted({m.group(1).rstrip("/.") for m in PATH.finditer(text)})


def exists(ref: str) -> bool:
    pattern = re.sub(r"<[^>]*>", "**/*", ref)
    pattern = re.sub(r"\{[^}]*\}", "*", pattern)
    if "*" in pattern:
        return any(ROOT.glob(pattern))
    return (ROOT / pattern).exists()


def test_the_pattern_finds_references():
    text = "see `sql/staging/stg_sessions.sql`, pipeline/demo/ and (docs/demo.md); not mysql/x or a/sql/y"
    assert references(text) == ["docs/demo.md", "pipeline/demo", "sql/staging/stg_sessions.sql"]
    assert exists("sql/staging/*.sql") and exists("sql/<layer>/stg_sessions.sql")
    assert not exists("sql/staging/checked_*.sql")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docs_name_only_files_that_exist(doc):
    missing = [ref for ref in references(doc.read_text(encoding="utf-8")) if not exists(ref)]
    assert not missing, f"{doc.relative_to(ROOT)} names files that do not exist: {missing}"
