"""The place for the anonymised staffing extract shared with the SSSC through S3: pseudonyms,
coarsening, disclosure control and delivery.
"""
