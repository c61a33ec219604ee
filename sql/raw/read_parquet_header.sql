-- The column names of a Parquet export file.
describe select * from read_parquet($path)
