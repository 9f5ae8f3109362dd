"""The workbook forms: the contract shared by writer and reader, and the guard before reading."""
