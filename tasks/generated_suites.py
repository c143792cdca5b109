"""Every expectation suite generated from the data dictionary: what `carestats write-suites` writes.

A test regenerates them and compares the bytes with the committed files under expectations/, so the
dictionary and the suites cannot drift apart. A new domain with a generated suite adds it here.
"""

from __future__ import annotations

from pathlib import Path

from carestats.dictionary import DataDictionary, load_dictionary
from tasks.annual_returns.validation import RETURN_COLUMNS_SUITE, annual_return_columns_suite
from tasks.datastore.quality import DATASTORE_COLUMNS, datastore_columns_suite
from tasks.shared.quality.suites import suite_bytes, write_suites
from tasks.sssc.validation import EXTRACT_COLUMNS_SUITE, sssc_extract_columns_suite
from tasks.statistics.validation import TABLE_COLUMNS_SUITE, statistics_table_columns_suite

GENERATORS = {
    DATASTORE_COLUMNS: datastore_columns_suite,
    RETURN_COLUMNS_SUITE: annual_return_columns_suite,
    EXTRACT_COLUMNS_SUITE: sssc_extract_columns_suite,
    TABLE_COLUMNS_SUITE: statistics_table_columns_suite,
}


def generated_suites(dictionary: DataDictionary | None = None) -> dict[str, bytes]:
    """Each generated suite's name and bytes, as the dictionary makes them today."""
    dictionary = dictionary or load_dictionary()
    return {name: suite_bytes(generate(dictionary)) for name, generate in GENERATORS.items()}


def write_generated_suites() -> dict[str, Path]:
    """Regenerate the dictionary-driven suites under expectations/;
    the files to commit after a dictionary change.
    """
    return write_suites(generated_suites())
