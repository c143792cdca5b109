"""Domain-free mechanisms: lake, lake map, CSV, quality gate, quarantine, publication, disclosure, Excel."""
