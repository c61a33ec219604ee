-- The closing summary of a merge: sites, clinics, batches and the published cells of the hub now.
select
    (select count(*) from audit.aggregate_sites),
    (select coalesce(sum(len(clinics)), 0) from audit.aggregate_sites),
    (select count(*) from audit.batches where status = 'accepted'),
    (select count(*) from audit.batches where status = 'rejected'),
    (select count(*) from marts.effect_sizes where not suppressed),
    (select count(*) from marts.effect_sizes where suppressed)
