-- Rows of the measurements files read in this round.
select count(*) from scanned_measurements
