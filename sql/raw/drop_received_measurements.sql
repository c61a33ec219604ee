-- Forget the measurements file just parsed.
drop table if exists received_measurements
