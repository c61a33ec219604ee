-- Read the Patient files of a FHIR batch: id, gender and birthDate only (this column list is the guarantee
-- that names, addresses, telecom and identifiers are never read). A line that is not JSON reads as a row of
-- nulls ($lenient: ignore_errors, the second reading after a strict one failed) and rejects the batch
-- (pipeline/fhir); rowid + 1 is the line among the type's lines.
create or replace temp table fhir_patient_lines as
select *
from read_ndjson($paths, format = 'newline_delimited', ignore_errors = $lenient, filename = '_file',
                 columns = {resourceType: 'VARCHAR', id: 'VARCHAR', gender: 'VARCHAR', birthDate: 'VARCHAR'})
