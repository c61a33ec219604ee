-- The fingerprints of the outcome build audit.episode_outcome_inputs records.
select distinct outcomes_build
from audit.episode_outcome_inputs
