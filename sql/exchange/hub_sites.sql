-- The sites a hub holds, with their clinics, batch ids and analysis settings (JSON; null: not recorded).
select site_id, clinics, batches, settings from audit.aggregate_sites order by site_id
