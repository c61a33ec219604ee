-- Read the Condition files of a FHIR batch: id, identifiers (to resolve conditional references), code and
-- verification status only.
create or replace temp table fhir_condition_lines as
select *
from read_ndjson($paths, format = 'newline_delimited', ignore_errors = $lenient, filename = '_file',
                 columns = {resourceType: 'VARCHAR', id: 'VARCHAR',
                            identifier: 'STRUCT(system VARCHAR, value VARCHAR)[]',
                            code: 'STRUCT(coding STRUCT(system VARCHAR, code VARCHAR)[])',
                            verificationStatus: 'STRUCT(coding STRUCT(code VARCHAR)[])'})
