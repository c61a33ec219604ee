-- Which of these batch contents have been received before (accepted, rejected or replaced)?
select distinct sha256 from audit.batches where list_contains($sha256s, sha256)
