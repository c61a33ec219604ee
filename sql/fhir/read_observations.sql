-- Read the Observation files of a FHIR batch: only the fields the mapping needs (contract section 1).
create or replace temp table fhir_observation_lines as
select *
from read_ndjson($paths, format = 'newline_delimited', ignore_errors = $lenient, filename = '_file',
                 columns = {resourceType: 'VARCHAR', id: 'VARCHAR', status: 'VARCHAR',
                            code: 'STRUCT(coding STRUCT(system VARCHAR, code VARCHAR)[])',
                            encounter: 'STRUCT(reference VARCHAR)',
                            effectiveDateTime: 'VARCHAR',
                            valueQuantity: 'STRUCT(value VARCHAR)',
                            valueInteger: 'VARCHAR'})
