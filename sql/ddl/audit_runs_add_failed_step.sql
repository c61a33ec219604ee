-- A warehouse made before audit.runs had failed_step: add it (a no-op on a newer one).
alter table audit.runs add column if not exists failed_step varchar
