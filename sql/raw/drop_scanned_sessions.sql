-- Forget the sessions files read in this round.
drop table if exists scanned_sessions
