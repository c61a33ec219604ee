"""Reading the published HTML back: table cells marked with data attributes, text of classes."""
from __future__ import annotations

from html.parser import HTMLParser


class Cells(HTMLParser):
    """Rows with ``data-measure`` and ``data-band``: {(measure, band): {field: text}}; a suppressed
    row's merged cell is stored under the field ``suppressed``."""

    def __init__(self):
        super().__init__()
        self.rows: dict[tuple[str, str], dict[str, str]] = {}
        self._row = None
        self._field = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-band" in a and "data-measure" in a:
            self._row = self.rows.setdefault((a["data-measure"], a["data-band"]), {})
        elif tag == "td" and self._row is not None:
            if "data-field" in a:
                self._field = a["data-field"]
            elif "sup" in (a.get("class") or "").split() and a.get("colspan"):
                self._field = "suppressed"
            self._text = []

    def handle_endtag(self, tag):
        if tag == "td" and self._field:
            self._row.setdefault(self._field, "".join(self._text).strip())
            self._field = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._field:
            self._text.append(data)


def cells(html: str) -> dict[tuple[str, str], dict[str, str]]:
    parser = Cells()
    parser.feed(html)
    return parser.rows


class ClassText(HTMLParser):
    """The text of every element whose class list contains ``name``."""

    def __init__(self, name: str):
        super().__init__()
        self.name, self.depth, self.found, self._buf = name, 0, [], []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += 1
        elif self.name in classes:
            self.depth, self._buf = 1, []

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if not self.depth:
                self.found.append("".join(self._buf).strip())

    def handle_data(self, data):
        if self.depth:
            self._buf.append(data)


def class_text(html: str, name: str) -> list[str]:
    parser = ClassText(name)
    parser.feed(html)
    return parser.found
