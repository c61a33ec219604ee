-- Forget the measurements files read in this round.
drop table if exists scanned_measurements
