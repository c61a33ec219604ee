-- Count the lines of the files of resource types the reader does not use: their resourceType only.
create or replace temp table fhir_other_lines as
select *
from read_ndjson($paths, format = 'newline_delimited', ignore_errors = $lenient, filename = '_file',
                 columns = {resourceType: 'VARCHAR'})
