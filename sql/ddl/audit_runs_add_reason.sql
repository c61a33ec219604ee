-- A warehouse made before audit.runs had reason: add it (a no-op on a newer one).
alter table audit.runs add column if not exists reason varchar
