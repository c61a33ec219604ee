-- The column names of a CSV export file (every column read as text, so nothing is guessed).
describe select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
