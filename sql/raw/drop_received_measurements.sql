-- Forget the measurements file just parsed.
drop view if exists received_measurements
