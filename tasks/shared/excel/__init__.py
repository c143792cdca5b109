"""The Datastore as an Excel workbook: data, pivot tables, definitions and a cover sheet."""
