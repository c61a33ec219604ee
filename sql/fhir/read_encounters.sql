-- Read the Encounter files of a FHIR batch: only the fields the mapping needs (contract section 1).
create or replace temp table fhir_encounter_lines as
select *
from read_ndjson($paths, format = 'newline_delimited', ignore_errors = $lenient, filename = '_file',
                 columns = {resourceType: 'VARCHAR', id: 'VARCHAR', status: 'VARCHAR',
                            identifier: 'STRUCT(system VARCHAR, value VARCHAR)[]',
                            subject: 'STRUCT(reference VARCHAR)',
                            period: 'STRUCT("start" VARCHAR, "end" VARCHAR)',
                            serviceProvider: 'STRUCT(reference VARCHAR)',
                            episodeOfCare: 'STRUCT(reference VARCHAR)[]',
                            participant: 'STRUCT(individual STRUCT(reference VARCHAR))[]',
                            reasonCode: 'STRUCT(coding STRUCT(system VARCHAR, code VARCHAR)[])[]',
                            reasonReference: 'STRUCT(reference VARCHAR)[]'})
