"""The place for ingesting the annual returns of the January-February window: reading the forms
system's exports, checking them, the curated store, and who has not submitted.
"""
