-- Has this exact batch content been received before (accepted, rejected or replaced)?
select count(*) > 0 from audit.batches where sha256 = $sha256
