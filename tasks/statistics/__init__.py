"""The place for benchmarks for inspectors and the statistics published from the annual returns."""
