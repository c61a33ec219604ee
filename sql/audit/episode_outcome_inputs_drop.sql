-- Forget the record of the outcome build before a full rebuild of int_episode_outcomes.
drop table if exists audit.episode_outcome_inputs
