-- The clinics behind each measure's case-mix models (marts.benchmark_model_fit.clinics).
select measure, count(distinct clinic_id)::bigint as clinics
from agg.case_mix_counts
group by measure
order by measure
