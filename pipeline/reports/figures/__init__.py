"""Plotly figures of the reports, as plain figure dicts ({"data": [...], "layout": {...}}).

    layout.py    the palette, the template, interval charts (rows, points, panels), to_div
    network.py   the landing page's and the clinic dashboards' figures
    evidence.py  the evidence packs' figures

Plain dicts because building hundreds of validated ``go`` objects costs seconds per run; the
tests validate every figure with ``go.Figure(fig)`` instead. Builders take small lists of dicts
(already suppressed) and use ``fmt`` for every number shown in a hover.

Interval charts share one layout: one row per estimate under bold group headers, a marker with
its 95% CI as a horizontal line, panels side by side sharing the rows. A suppressed estimate has
no marker and its row label says so.
"""
from __future__ import annotations

from pipeline.reports.figures.evidence import (  # noqa: F401 - the package's names
    FOREST_MAX_CLINICS, bands_chart, clinic_distribution, dose_chart, forest,
)
from pipeline.reports.figures.layout import figure, interval_chart, interval_trace, to_div  # noqa: F401
from pipeline.reports.figures.network import (  # noqa: F401
    benchmark_chart, clinic_comparison, completeness_bars, effect_overview, trend_chart,
)
