-- The columns of the tables the episode layer reads, for the build's fingerprint: staging or a
-- registry whose columns changed (a new version's) has the episode layer rebuilt in full.
select table_schema, table_name, column_name, data_type
from information_schema.columns
where
    (table_schema = 'staging' and table_name in ('sessions', 'measurements'))
    or (table_schema = 'ref' and table_name in ('condition_groups', 'measures'))
order by table_schema, table_name, ordinal_position
