-- The project's SNOMED CT to ICD-10-CM/condition-group table (pipeline/registry/fhir_snomed_conditions.csv).
create or replace temp table fhir_snomed as
select snomed_code, icd10cm_code
from read_csv($path, header = true, all_varchar = true)
