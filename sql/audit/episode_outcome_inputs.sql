-- audit.episode_outcome_inputs: what intermediate.int_episode_outcomes was last built from: the
-- record of the episodes it read (audit.episode_inputs, per clinic) and its own fingerprint
-- (pipeline/intermediate.py). The next build rebuilds only the clinics whose episodes changed.
create or replace table audit.episode_outcome_inputs as
select $build as outcomes_build, build, clinic_id, sessions, sessions_digest, scores, scores_digest
from audit.episode_inputs
