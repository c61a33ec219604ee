-- A hub made before audit.aggregate_sites had exported_at: add it (a no-op on a newer one).
alter table audit.aggregate_sites add column if not exists exported_at timestamp
