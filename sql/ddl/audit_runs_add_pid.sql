-- A warehouse made before audit.runs had pid: add it (a no-op on a newer one).
alter table audit.runs add column if not exists pid integer
