-- audit.analysis_settings: the run-time settings the warehouse's episodes, and so its aggregates, were
-- last built with (pipeline/intermediate.py; episode_gap_days), one row per setting, its value as JSON.
-- An aggregates file carries them (its manifest's settings): a hub merges only sites that agree.
create table if not exists audit.analysis_settings (setting varchar primary key, value json not null)
