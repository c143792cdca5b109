"""The place for year-end snapshots, revisions, and the public catalogue page and its metadata."""
