"""compare()'s responder suppression (cohorts.comparison._small) is the published rule that
pipeline.suppression applies to the cells (cohort_effects goes through it), not a second one."""
from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from pipeline import stats
from pipeline.cohorts.comparison import _small
from pipeline.cohorts.effects import RESPONDER_FIGURES, _suppress


def test_compare_hides_responder_figures_exactly_where_the_cells_do():
    min_n = 11
    cases = [(n, x) for n in (11, 12, 15, 21, 22, 23, 40) for x in range(n + 1)]
    rows = [{"measure": f"m{i}", **asdict(stats.prepost_from_summary(n, 5.0, 1.0, 3.0, 1.0, 0.5, 2.0, 1.0,
                                                                      responders=x))}
            for i, (n, x) in enumerate(cases)]
    done = _suppress(pd.DataFrame(rows), None, min_n)
    assert not done["suppressed"].any()
    for (n, x), (_, row) in zip(cases, done.iterrows()):
        hidden = all(pd.isna(row[c]) for c in RESPONDER_FIGURES)
        assert hidden == _small(x, n, min_n), (n, x)
