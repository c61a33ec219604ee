"""PNG screenshots of the reports with headless Chromium, for the README and docs.

    python -m pipeline.reports.screenshots REPORTS_DIR OUT_DIR

writes OUT_DIR/index.png, OUT_DIR/dashboard.png (a clinic's dashboard: --clinic, else the
first) and OUT_DIR/evidence.png (an evidence pack: --condition, else the condition with the most
episodes), each the top of the page at 1280 px wide.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.reports import browser

WIDTH = 1280
HEIGHTS = {"index.png": 1500, "dashboard.png": 1500, "evidence.png": 1700}


def largest_pack(reports: Path) -> str | None:
    """The condition whose evidence pack has the most episodes."""
    sizes = {}
    for path in (reports / "evidence").glob("*.json"):
        content = json.loads(path.read_text(encoding="utf-8"))
        if content.get("report") == "evidence-pack":
            sizes[path.stem] = content.get("episodes") or 0
    return max(sorted(sizes), key=sizes.get) if sizes else None


def jobs(reports: Path, out: Path, clinic: str | None = None, condition: str | None = None) -> list[tuple]:
    """(page, png, width, height) for each shot whose page exists."""
    clinics = sorted((reports / "clinics").glob("*.html"))
    pages = {
        "index.png": reports / "index.html",
        "dashboard.png": reports / "clinics" / f"{clinic}.html" if clinic else (clinics[0] if clinics else None),
        "evidence.png": reports / "evidence" / f"{condition or largest_pack(reports)}.html",
    }
    return [(page, out / name, WIDTH, HEIGHTS[name]) for name, page in pages.items() if page and page.is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.reports.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("reports_dir", type=Path, metavar="REPORTS_DIR")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--clinic", help="the clinic dashboard to photograph (default: the first)")
    parser.add_argument("--condition", help="the evidence pack to photograph (default: the one with most episodes)")
    args = parser.parse_args(argv)
    todo = jobs(args.reports_dir, args.out_dir, args.clinic, args.condition)
    if not todo:
        print(f"screenshots: no reports in {args.reports_dir}; run 'outcomes run' first", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    try:
        written = browser.screenshots(todo)
    except browser.BrowserMissing as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
