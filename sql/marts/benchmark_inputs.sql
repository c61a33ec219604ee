-- The columns the risk-adjustment model needs, one row per episode and measure.
select clinic_id, condition_group, measure, baseline, improvement, responder, age_band, sex, payer
from marts.episode_outcomes
order by measure, clinic_id, patient_id, episode_id
