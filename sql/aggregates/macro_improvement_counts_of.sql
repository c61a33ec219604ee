-- improvement_counts_of(clinic_list): the rows of agg.improvement_counts of the clinics in
-- clinic_list (null: of every clinic): per clinic x condition group x frequency band x measure,
-- the histogram of |improvement| (magnitude, scaled to 1e-9 points; zeros left out, as the signed-
-- rank test drops them): how many episodes have it and how many of them improved. The Wilcoxon
-- signed-rank sums of any union of cells (the 'all' band, the network) follow exactly from the
-- summed histograms. Input: intermediate.int_episode_outcomes.
create or replace temp macro improvement_counts_of(clinic_list) as table
select
    clinic_id, condition_group, frequency_band, measure,
    scaled(abs(improvement))::bigint as magnitude,
    count(*) as episodes,
    count(*) filter (where improvement > 0) as positive
from intermediate.int_episode_outcomes
where improvement <> 0 and (clinic_list is null or list_contains(clinic_list, clinic_id))
group by clinic_id, condition_group, frequency_band, measure, magnitude
