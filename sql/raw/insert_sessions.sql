-- Load the sessions of a FHIR batch just mapped (received_sessions, pipeline/fhir) into raw.sessions, inside the
-- batch's transaction; each row carries its row number in file order (sql/fhir/sessions.sql).
insert into raw.sessions by name
select * from received_sessions
