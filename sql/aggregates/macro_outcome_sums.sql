-- outcome_sums(x, y, d, responder): the one select list of the sufficient statistics of a cell
-- of episode outcomes (x baseline, y final, d improvement), as a struct to unnest: n, the exact
-- sums of x, y, d (scaled, 1e-9 points), of their squares and of x*y, and the responders.
-- agg.effect_cells, agg.trend_cells and agg.duration_cells use it (docs/aggregates-layer.md).
create or replace temp macro outcome_sums(x, y, d, responder) as {
    'n': count(*),
    'sum_baseline': sum(scaled(x)),
    'sum_baseline_sq': sum(scaled(x) * scaled(x)),
    'sum_final': sum(scaled(y)),
    'sum_final_sq': sum(scaled(y) * scaled(y)),
    'sum_baseline_final': sum(scaled(x) * scaled(y)),
    'sum_improvement': sum(scaled(d)),
    'sum_improvement_sq': sum(scaled(d) * scaled(d)),
    'responders': count(*) filter (where responder)
}
