-- moment_points(value, term_a, term_b): an entry of agg.benchmark_moments in points: its exact
-- integer sum over 1e9 for each of its two terms that is a score (baseline, improvement).
create or replace temp macro moment_points(value, term_a, term_b) as
value::double / power(
    1e9, (term_a in ('baseline', 'improvement'))::integer + (term_b in ('baseline', 'improvement'))::integer
)
