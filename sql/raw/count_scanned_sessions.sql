-- Rows of the sessions files read in this round.
select count(*) from scanned_sessions
