-- summary_statistics(...): the one select list from a cell's exact sums (agg outcome_sums,
-- summed over clinics, bands or periods) to the summary statistics pipeline.stats takes
-- (statistics.md, effect sizes): means, SDs (n - 1 denominator, null when n < 2) and Pearson r
-- of baseline and final (null when an SD is 0). Each variance numerator n * Sxx - Sx^2 is exact
-- (HUGEINT) before it becomes a double, so a figure does not depend on the order of the rows.
-- Sums are in 1e-9 points (sql/aggregates/macro_scaled.sql).
create or replace temp macro summary_statistics(
    n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final, sum_improvement, sum_improvement_sq
) as {
    'baseline_mean': sum_baseline::double / n / 1e9,
    'baseline_sd': case when n > 1
        then sqrt((n::hugeint * sum_baseline_sq - sum_baseline * sum_baseline)::double / (n * (n - 1.0))) / 1e9 end,
    'final_mean': sum_final::double / n / 1e9,
    'final_sd': case when n > 1 then sqrt((n::hugeint * sum_final_sq - sum_final * sum_final)::double / (n * (n - 1.0))) / 1e9 end,
    'r_pre_post': case
        when n > 1 and n::hugeint * sum_baseline_sq > sum_baseline * sum_baseline and n::hugeint * sum_final_sq > sum_final * sum_final
        then (n::hugeint * sum_baseline_final - sum_baseline * sum_final)::double
            / sqrt((n::hugeint * sum_baseline_sq - sum_baseline * sum_baseline)::double)
            / sqrt((n::hugeint * sum_final_sq - sum_final * sum_final)::double)
    end,
    'mean_improvement': sum_improvement::double / n / 1e9,
    'sd_improvement': case when n > 1
        then sqrt((n::hugeint * sum_improvement_sq - sum_improvement * sum_improvement)::double / (n * (n - 1.0))) / 1e9 end
}
