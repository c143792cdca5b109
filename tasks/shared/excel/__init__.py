"""Excel mechanics any workbook shares: typed data sheets, definitions sheets and real pivot tables."""
