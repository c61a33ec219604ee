-- audit.episode_inputs: what the episode tables (intermediate.int_episode_sessions, int_episodes,
-- int_episode_measures) were last built from: per clinic its staged rows and their digests
-- (staged_clinic_digests.sql), and the build's fingerprint (settings, band limits, the SQL of the
-- episode layer, the registry, the tables' columns; pipeline/intermediate.py). The next build
-- rebuilds only the clinics whose rows differ from it, and every clinic when the fingerprint does.
create or replace table audit.episode_inputs as
select $build as build, clinic_id, sessions, sessions_digest, scores, scores_digest
from staged_clinic_digests
