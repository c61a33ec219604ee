-- A warehouse made before audit.runs had process_start: add it (a no-op on a newer one).
alter table audit.runs add column if not exists process_start varchar
