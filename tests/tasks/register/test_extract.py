import datetime as dt

import pytest

from carestats.dictionary import load_dictionary
from carestats.errors import MissingInputError
from tasks.register.extract import ExtractError, choose_extract, parse_table
from tests.support.extracts import service, table_bytes

DICTIONARY = load_dictionary()
SERVICES = DICTIONARY.extract_table("services")


def parse_services(data: bytes):
    return parse_table(data, "services.csv", SERVICES, DICTIONARY)


def test_first_extract_after_the_edition_date_is_used():
    available = [dt.date(2025, 8, 5), dt.date(2025, 9, 3), dt.date(2025, 10, 6)]
    assert choose_extract(available, dt.date(2025, 8, 31)) == dt.date(2025, 9, 3)
    assert choose_extract(available, dt.date(2025, 9, 2)) == dt.date(2025, 9, 3)
    with pytest.raises(FileNotFoundError, match="no register extract taken after 2025-10-31"):
        choose_extract(available, dt.date(2025, 10, 31))


def test_an_extract_taken_on_the_edition_date_is_never_used():
    on_the_day, after = dt.date(2025, 8, 31), dt.date(2025, 9, 4)
    assert choose_extract([on_the_day, after], dt.date(2025, 8, 31)) == after
    with pytest.raises(MissingInputError, match="no register extract taken after 2025-08-31"):
        choose_extract([dt.date(2025, 8, 5), on_the_day], dt.date(2025, 8, 31))


@pytest.mark.parametrize(
    ("encoding", "line_end", "expected_encoding"),
    [("utf-8", "\n", "utf-8"), ("utf-8-sig", "\r\n", "utf-8-sig"), ("cp1252", "\r\n", "cp1252")],
)
def test_encodings_and_line_endings_give_the_same_table(encoding, line_end, expected_encoding):
    rows = [service("CS2002000001", ServiceName="Tigh na Mara Café", ServiceProvider="Màiri Ò'Neill")]
    table = parse_services(table_bytes("services", rows, encoding=encoding, line_end=line_end))
    assert table.encoding == expected_encoding
    assert table.problems == []
    assert table.frame.loc[0, "ServiceName"] == "Tigh na Mara Café"
    assert table.frame.loc[0, "ServiceProvider"] == "Màiri Ò'Neill"
    assert list(table.frame.columns)[0] == "CSNumber"


def test_bom_mangled_header_and_literal_na_are_cleaned():
    data = table_bytes("services", [service("CS2002000001", Registered_Places="NA", Subtype="NA")])
    mangled = b"\xef\xbb\xbf" + data.replace(b"CSNumber", b'"\xef\xbb\xbfCSNumber"', 1)
    frame = parse_services(mangled).frame
    assert frame.loc[0, "CSNumber"] == "CS2002000001"
    assert frame["Registered_Places"].isna().all() and frame["Subtype"].isna().all()


@pytest.mark.parametrize(
    ("spelling", "official"),
    [
        ("Edinburgh, City of", "City of Edinburgh"),
        ("Argyll and Bute", "Argyll & Bute"),
        ("PERTH & KINROSS", "Perth & Kinross"),
        ("Fife Council", "Fife"),
        ("  Dumfries  and Galloway ", "Dumfries & Galloway"),
        ("Comhairle nan Eilean Siar", "Na h-Eileanan Siar"),
        ("Outside Scotland", "outside Scotland"),
    ],
)
def test_council_spellings_normalise_to_the_official_name(spelling, official):
    table = parse_services(table_bytes("services", [service("CS2002000001", Council_Area_Name=spelling)]))
    assert table.problems == []
    assert table.frame.loc[0, "Council_Area_Name"] == official


def test_unknown_council_is_reported_with_file_line_and_value():
    rows = [service("CS2002000001"), service("CS2002000002", Council_Area_Name="SP2003000123")]
    problems = parse_services(table_bytes("services", rows)).problems
    assert [str(p) for p in problems] == [
        "services.csv line 3, field Council_Area_Name: unknown council area (value 'SP2003000123')"
    ]


def test_every_bad_value_is_reported_not_dropped():
    rows = [
        service("CS2002000001", Date_Registered="31/08/2025"),
        service("CS20020002", Registered_Places="forty"),
        service("CS2002000001", NumberStaff="1.5", Provided_by_Local_Authority="maybe"),
    ]
    problems = parse_services(table_bytes("services", rows)).problems
    found = {(p.line, p.field, p.value) for p in problems}
    assert found == {
        (2, "Date_Registered", "31/08/2025"),
        (3, "CSNumber", "CS20020002"),
        (3, "Registered_Places", "forty"),
        (4, "Provided_by_Local_Authority", "maybe"),
        (4, "CSNumber", "CS2002000001"),  # duplicate key
    }


def test_missing_required_column_and_undecodable_bytes_are_clear_errors():
    problems = parse_services(b"CSNumber,ServiceName\nCS2002000001,X\n").problems
    assert {p.field for p in problems} >= {"CareService", "Council_Area_Name", "Date_Registered"}
    assert all(p.line == 1 for p in problems)
    with pytest.raises(ExtractError, match="cannot read services.csv: neither UTF-8 nor Windows-1252"):
        parse_services(b"\x81\x8d\x8f\x90")


def test_rows_with_the_wrong_field_count_are_reported_by_line():
    good = table_bytes("services", [service("CS2002000001"), service("CS2002000003")])
    header, first, second = good.decode().splitlines()
    data = (
        "\n".join([header, first, "CS2002000002,Care Home Service", second, first + ",extra"]).encode()
        + b"\n"
    )
    table = parse_services(data)
    malformed = [(p.line, p.message) for p in table.problems if p.message.startswith("malformed row")]
    fields = len(header.split(","))
    assert malformed == [
        (3, f"malformed row: 2 field(s) where the header has {fields}"),
        (5, f"malformed row: {fields + 1} field(s) where the header has {fields}"),
    ]
    assert list(table.frame["CSNumber"]) == ["CS2002000001", "CS2002000003"]


def test_impossible_dates_and_numbers_are_problems_not_guesses():
    rows = [
        service("CS2002000001", Date_Registered="2025-02-30", Registered_Places="3.0", NumberStaff="1e400"),
        service("CS2002000002", Date_Registered="2024-02-29", Registered_Places="1e400", NumberStaff=" 7.5 "),
    ]
    table = parse_services(table_bytes("services", rows))
    assert {(p.line, p.field, p.value) for p in table.problems} == {
        (2, "Date_Registered", "2025-02-30"),
        (3, "Registered_Places", "1e400"),
    }
    assert table.frame["Registered_Places"].tolist()[0] == 3
    assert str(table.frame["Date_Registered"].dtype) == "datetime64[s]"
    assert table.frame.loc[1, "Date_Registered"] == dt.datetime(2024, 2, 29)
    assert table.frame.loc[1, "NumberStaff"] == 7.5
