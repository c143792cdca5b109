import datetime as dt

import pandas as pd

from carestats.dictionary import load_dictionary
from tasks.shared.published_text import (
    csv_bytes,
    definitions_frame,
    neutralise_formulae,
    published_text,
    read_published_csv,
)

COLUMNS = load_dictionary().datastore_columns(dt.date(2025, 8, 31))


def one_column(name, values, dtype):
    column = next(c for c in COLUMNS if c.name == name)
    return published_text(pd.DataFrame({name: pd.Series(values, dtype=dtype)}), [column])[name].tolist()


def test_values_are_written_as_the_real_file_writes_them():
    assert one_column("NumberStaff", [12.6, 7.74, 24.0, None, 0.01], "Float64") == [
        "12.6",
        "7.74",
        "24",
        "",
        "0.01",
    ]
    assert one_column("Registered_Places", [83, None], "Int64") == ["83", ""]
    assert one_column("Last_inspection_Date", ["2019-07-09", None], "datetime64[s]") == ["09/07/2019", ""]


def test_formula_like_text_is_neutralised_and_numbers_stay_numbers():
    names = ['=HYPERLINK("http://x")', "+44 1", "-x", "@SUM(A1)", "\tTab", "Plain", "Café = good"]
    assert one_column("ServiceName", names, "string") == [
        '\'=HYPERLINK("http://x")',
        "'+44 1",
        "'-x",
        "'@SUM(A1)",
        "'\tTab",
        "Plain",
        "Café = good",
    ]
    assert one_column("NumberStaff", [-1.5], "Float64") == ["-1.5"]


def test_every_formula_trigger_is_neutralised_carriage_return_and_tab_included():
    risky = ["=1+2", "+44 131", "-minus", "@home", "\tTabbed", "\rReturned", "\r", "\t"]
    harmless = ["Plain", " =spaced", "a=b", "Café - Ùna", "", "'=already"]
    text = pd.Series([*risky, *harmless, None], dtype="string")
    neutralised = neutralise_formulae(text)
    assert neutralised.iloc[: len(risky)].tolist() == ["'" + value for value in risky]
    assert neutralised.iloc[len(risky) : -1].tolist() == harmless
    assert neutralised.isna().tolist() == [False] * (len(risky) + len(harmless)) + [True]


def test_negative_numbers_in_numeric_columns_stay_numbers():
    assert one_column("NumberStaff", [-1.5, -0.25], "Float64") == ["-1.5", "-0.25"]
    assert one_column("Registered_Places", [-3], "Int64") == ["-3"]
    assert one_column("ServiceName", ["-3", "\rX"], "string") == ["'-3", "'\rX"]


def test_csv_has_a_bom_crlf_and_quotes_only_where_needed():
    text = pd.DataFrame({"A": ["x", "a,b", 'say "hi"'], "B": ["", "1", "2"]})
    data = csv_bytes(text)
    assert data == b'\xef\xbb\xbfA,B\r\nx,\r\n"a,b",1\r\n"say ""hi""",2\r\n'
    assert read_published_csv(data).equals(text)


def test_definitions_come_from_the_dictionary():
    definitions = definitions_frame(COLUMNS)
    assert definitions["Column"].tolist() == [c.name for c in COLUMNS]
    row = definitions.set_index("Column").loc["Service_Postcode"]
    assert row["Disclosure"] == "Blank for childminders and childrens care homes."
    assert (
        definitions.set_index("Column")
        .loc["Complaints_upheld_2425", "Definition"]
        .startswith("Number of complaints upheld in financial year 2024-25")
    )
