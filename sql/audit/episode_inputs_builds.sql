-- The fingerprints of the build audit.episode_inputs records (one, or none when no clinic was).
select distinct build
from audit.episode_inputs
