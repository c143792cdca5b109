"""The kernel (data dictionary, settings, provenance, errors, Prefect policies) that everything imports
and that imports nothing of ours above it.
"""
