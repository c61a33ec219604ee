"""Pages written again only when their content changed.

A run rebuilds every mart, but on an unchanged inbox no number moves: printing every evidence
PDF again (Chromium: most of the reports' time) and drawing every clinic's dashboard again
would only change the run stamp in their footers. So each page's content has a digest, kept in
a small manifest in the reports folder (``.pages.json``: page -> digest and the run that wrote
it); a page whose digest and files are unchanged is left as it is, mtime and all.

The digest is of the page's content without the run stamp (which run, when it was written):
for an evidence pack, the pack's JSON document without ``generated_at`` and the run in its
provenance; for a dashboard, the numbers it shows. It also covers the code that turns them into
a page (``pipeline/reports``: its modules, templates and stylesheet, and plotly's version), so
a changed template or figure writes every page again. A page left as it is still names the run
that wrote it: its footer says "numbers as of run X", which stays true, since they have not
changed; the landing page, written every run, says how many pages were kept.
"""
from __future__ import annotations

import hashlib
import json
import marshal
from functools import lru_cache
from importlib import metadata
from pathlib import Path

MANIFEST = ".pages.json"
MANIFEST_VERSION = 1
CODE = Path(__file__).parent
CODE_FILES = ("*.py", "figures/*.py", "templates/*.html", "static/*", "*.json")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The digest of the code that writes the pages (this package) and of plotly's version."""
    h = hashlib.sha256()
    for pattern in CODE_FILES:
        for path in sorted(CODE.glob(pattern)):
            h.update(path.relative_to(CODE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        h.update(metadata.version("plotly").encode())
    except metadata.PackageNotFoundError:  # pragma: no cover - plotly is a dependency
        pass
    return h.hexdigest()


def digest(content) -> str:
    """The digest of a page's content: plain Python values (dicts, lists, numbers, text, None),
    keys in their order (the same code builds the same content in the same order). Serialized
    by ``marshal`` format 2: binary numbers, and no sharing of equal objects (which would make
    equal contents differ); anything else (a date) through JSON as text."""
    try:
        data = marshal.dumps(content, 2)
    except ValueError:
        data = json.dumps(content, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(code_digest().encode() + b"\0" + data).hexdigest()


class Manifest:
    """Which run wrote each page, from what content: the reports folder's ``.pages.json``."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / MANIFEST
        self.pages: dict[str, dict] = {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if loaded.get("version") == MANIFEST_VERSION and isinstance(loaded.get("pages"), dict):
                self.pages = loaded["pages"]
        except (OSError, ValueError, AttributeError):  # none yet, or unreadable: every page is written
            pass
        self.kept: set[str] = set()
        self.written: set[str] = set()

    def unchanged(self, page: str, content_digest: str, files: list[str]) -> bool:
        """Whether ``page`` was written from this very content and its files are all still there;
        if so it counts as kept."""
        entry = self.pages.get(page)
        same = (entry is not None and entry.get("digest") == content_digest
                and all((self.out_dir / f).is_file() for f in files))
        if same:
            self.kept.add(page)
        return same

    def record(self, page: str, content_digest: str, run_id: str, **extra) -> None:
        """``page`` was written by ``run_id`` from this content."""
        self.pages[page] = {"digest": content_digest, "run_id": run_id, **extra}
        self.written.add(page)
        self.kept.discard(page)

    def entry(self, page: str) -> dict:
        return self.pages.get(page, {})

    def save(self) -> Path:
        """Keep the entries of the pages of this run (kept or written), drop the others."""
        pages = {k: v for k, v in sorted(self.pages.items()) if k in self.kept | self.written}
        self.path.write_text(json.dumps({"version": MANIFEST_VERSION, "pages": pages}, indent=1) + "\n",
                             encoding="utf-8")
        return self.path
