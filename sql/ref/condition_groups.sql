-- ref.condition_groups: ICD-10-CM prefixes (dot removed) of each condition group.
create or replace table ref.condition_groups as
select upper(code_prefix) as code_prefix, condition_group, description
from read_csv($path, header = true, all_varchar = true)
