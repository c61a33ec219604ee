-- The files of every batch the site received, with their checksums.
select batch_id, sha256, table_name, file_name, format, rows, file_sha256
from audit.batch_files
order by batch_id, sha256, table_name, file_name
