import datetime as dt

import pytest

from tasks.datastore.datastore_file import as_at_from_file_name, read_datastore_csv
from tasks.shared.csv_text import UnreadableCsv


def test_reads_a_windows_1252_file_with_crlf_and_literal_na_as_blank():
    header = '"CareService","ServiceName","Registered_Places"\r\n'
    text = header + '"Care Home Service","Caf\xe9 N\xe1 Mara",NA\r\n'
    data = text.encode("cp1252")
    frame, notes = read_datastore_csv(data, "old.csv")
    assert notes == ["read as cp1252", "1 cells held a literal 'NA', read as blank"]
    assert frame.to_dict("records") == [
        {"CareService": "Care Home Service", "ServiceName": "Café Ná Mara", "Registered_Places": ""}
    ]


def test_reads_a_published_csv_with_its_bom_as_plain_headers():
    data = "\ufeffCSNumber,ServiceName\r\nCS2003000001,'=1+2\r\n".encode("utf-8")
    frame, _ = read_datastore_csv(data)
    assert list(frame.columns) == ["CSNumber", "ServiceName"]
    assert frame.values.tolist() == [["CS2003000001", "'=1+2"]]


def test_reads_the_real_extract_with_its_non_ascii_names(reference_extract):
    frame, _ = read_datastore_csv(reference_extract.read_bytes(), reference_extract.name)
    assert frame.shape == (10670, 36)
    assert not (frame == "NA").any().any()
    assert frame["ServiceName"].str.contains("’").any() or frame["ServiceProvider"].str.contains("’").any()
    assert (frame["CareService"] == "Care Home Service").sum() == 1365


@pytest.mark.parametrize(
    "name, expected",
    [
        ("datastore_2025-08-31.csv", dt.date(2025, 8, 31)),
        ("MDSF_data_31 March 2025.csv", dt.date(2025, 3, 31)),
        ("250531DatastoreExternal.csv", dt.date(2025, 5, 31)),
        ("ci_datastore_subset_2025-08-31.csv", dt.date(2025, 8, 31)),
        ("datastore.csv", None),
        ("datastore_2025-02-30.csv", None),
    ],
)
def test_edition_date_from_the_names_files_have_had(name, expected):
    assert as_at_from_file_name(name) == expected


def test_a_file_that_is_not_a_table_is_unreadable():
    with pytest.raises(UnreadableCsv, match="cannot read broken.csv"):
        read_datastore_csv(b'a,b\n"unterminated,1\n', "broken.csv")
