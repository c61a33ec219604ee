-- The tables of the aggregates layer (schema agg), each with its columns in order.
select table_name, list(column_name order by ordinal_position) as columns,
       list(data_type order by ordinal_position) as types
from information_schema.columns
where table_schema = 'agg'
group by table_name
order by table_name
