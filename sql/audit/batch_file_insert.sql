-- Record one file of a received batch.
insert into audit.batch_files values ($batch_id, $sha256, $table_name, $file_name, $format, $rows, $file_sha256)
