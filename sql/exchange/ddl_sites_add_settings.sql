-- A hub made before audit.aggregate_sites had settings: add it (a no-op on a newer one).
alter table audit.aggregate_sites add column if not exists settings json
