-- A warehouse made before audit.runs had host: add it (a no-op on a newer one).
alter table audit.runs add column if not exists host varchar
