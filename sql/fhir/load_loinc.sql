-- The LOINC code of each measure of the registry that has one (pipeline/registry/measures.csv).
create or replace temp table fhir_loinc as
select code as measure, loinc
from read_csv($path, header = true, all_varchar = true)
where nullif(trim(loinc), '') is not null
