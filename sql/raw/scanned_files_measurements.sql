-- Per measurements file read in this round (one aggregate over the scan): its rows, its first and last
-- rowid, and its rows whose clinic_id is not its manifest's clinic ($clinics, null without one).
select f.path, count(r._file), min(r.rowid), max(r.rowid),
       count(r._file) filter (where f.clinic_id is not null and r.clinic_id is distinct from f.clinic_id),
       null::varchar
from (select unnest($paths) as path, unnest($clinics::varchar[]) as clinic_id) as f
left join scanned_measurements as r on r._file = f.path
group by f.path
