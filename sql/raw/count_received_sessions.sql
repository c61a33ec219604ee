-- Rows of the sessions file just parsed.
select count(*) from received_sessions
