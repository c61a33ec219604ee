"""Writing pages: the Jinja environment, the shared context of every page, and the assets
(plotly.min.js and report.css, written once into the reports folder)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from plotly.offline import get_plotlyjs

from pipeline.reports import cells, fmt
from pipeline.reports.data import ReportData

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
PLOTLY_JS = "plotly.min.js"
CSS = "report.css"


@dataclass
class Page:
    """One page to write: its path under the reports folder, its template and context."""

    path: str
    template: str
    title: str
    context: dict = field(default_factory=dict)
    charts: bool = True

    @property
    def root(self) -> str:
        """The relative path from the page back to the reports folder (``""`` or ``"../"``)."""
        return "../" * self.path.count("/")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(
        count=fmt.count, number=fmt.number, percent=fmt.percent, timestamp=fmt.timestamp,
        condition=fmt.condition_label, measure=fmt.measure_label, band=fmt.band_label,
        band_definition=fmt.band_definition, p_value=fmt.p_value, p_text=fmt.p_text,
    )
    env.globals.update(fmt_ci=fmt.with_ci, fmt_pp=fmt.points_ci, fmt_interval=fmt.ci, **cells.GLOBALS)
    return env


def common_context(data: ReportData) -> dict:
    """What every page shows in its header and footer."""
    return {
        "run": data.run(), "generated_at": fmt.timestamp(data.generated_at), "min_n": data.min_n,
        "suppressed": fmt.suppressed_label(data.min_n),
    }


def write_assets(out_dir: Path) -> list[Path]:
    """plotly.js (offline, once for every page) and the stylesheet."""
    js, css = out_dir / PLOTLY_JS, out_dir / CSS
    bundle = get_plotlyjs()
    if not js.is_file() or js.stat().st_size != len(bundle.encode("utf-8")):
        js.write_text(bundle, encoding="utf-8")
    css.write_text((STATIC / CSS).read_text(encoding="utf-8"), encoding="utf-8")
    return [js, css]


def write(env: jinja2.Environment, out_dir: Path, page: Page, common: dict) -> Path:
    path = out_dir / page.path
    path.parent.mkdir(parents=True, exist_ok=True)
    html = env.get_template(page.template).render(
        **common, **page.context, title=page.title, root=page.root, charts=page.charts,
        plotly_js=page.root + PLOTLY_JS, css=page.root + CSS,
    )
    path.write_text(html, encoding="utf-8")
    return path
