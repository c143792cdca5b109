"""The monthly Datastore publication: an edition's rows, its files and workbook, and its checks."""
