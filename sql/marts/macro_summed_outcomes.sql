-- summed_outcomes(...): the sum over clinics (or bands, periods) of agg outcome_sums columns
-- (sql/aggregates/macro_outcome_sums.sql), as a struct to unnest; exact integer sums.
create or replace temp macro summed_outcomes(
    n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final, sum_improvement, sum_improvement_sq,
    responders
) as {
    'n': sum(n)::bigint,
    'sum_baseline': sum(sum_baseline),
    'sum_baseline_sq': sum(sum_baseline_sq),
    'sum_final': sum(sum_final),
    'sum_final_sq': sum(sum_final_sq),
    'sum_baseline_final': sum(sum_baseline_final),
    'sum_improvement': sum(sum_improvement),
    'sum_improvement_sq': sum(sum_improvement_sq),
    'responders': sum(responders)::bigint
}
