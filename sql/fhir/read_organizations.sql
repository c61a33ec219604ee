-- Read the Organization files of a FHIR batch: id and identifiers only (to resolve serviceProvider).
create or replace temp table fhir_organization_lines as
select *
from read_ndjson($paths, format = 'newline_delimited', ignore_errors = $lenient, filename = '_file',
                 columns = {resourceType: 'VARCHAR', id: 'VARCHAR',
                            identifier: 'STRUCT(system VARCHAR, value VARCHAR)[]'})
