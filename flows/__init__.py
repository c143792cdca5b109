"""The pipelines: one module per flow, each reading top to bottom like the process it runs."""
