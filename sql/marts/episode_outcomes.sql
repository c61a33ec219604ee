-- marts.episode_outcomes (contract section 2): one row per episode and measure with a baseline
-- and a final score. Grain: clinic_id, patient_id, episode_id, measure. Input:
-- intermediate.int_episode_outcomes, published as it is (a view: no second copy of the rows).
-- The one row-level mart: it stays at its site and a hub built from aggregates has none.
create or replace view marts.episode_outcomes as
select * from intermediate.int_episode_outcomes
