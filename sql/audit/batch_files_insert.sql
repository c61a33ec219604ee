-- Record the files of received batches, one row each (the lists are zipped by position).
insert into audit.batch_files
select unnest($batch_ids::varchar[]), unnest($sha256s::varchar[]), unnest($table_names::varchar[]),
       unnest($file_names::varchar[]), unnest($formats::varchar[]), unnest($rows::bigint[]),
       unnest($file_sha256s::varchar[])
