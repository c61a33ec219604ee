-- The sites a hub holds, with their clinics and batch ids.
select site_id, clinics, batches from audit.aggregate_sites order by site_id
