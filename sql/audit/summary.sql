-- The closing summary of a run: batches, rows, episodes and cells in the warehouse now.
select
    (select count(*) from audit.batches where status = 'accepted'),
    (select count(*) from audit.batches where status = 'rejected'),
    (select count(*) from staging.sessions),
    (select count(*) from quarantine.sessions),
    (select count(*) from staging.measurements),
    (select count(*) from quarantine.measurements),
    (select count(*) from intermediate.int_episodes),
    (select count(*) from marts.episode_outcomes),
    (select count(*) from marts.effect_sizes where not suppressed),
    (select count(*) from marts.effect_sizes where suppressed)
