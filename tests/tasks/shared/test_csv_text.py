import pytest

from tasks.shared.csv_text import UnreadableCsv, read_csv_text


def test_every_cell_is_text_exactly_as_written():
    data = b'code,places,note\n007,NA,"two\nlines"\n,12,  spaced  \n'
    read = read_csv_text(data, "t.csv")
    assert read.encoding == "utf-8"
    assert read.table.to_pylist() == [
        {"code": "007", "places": "NA", "note": "two\nlines"},
        {"code": "", "places": "12", "note": "  spaced  "},
    ]
    assert read.to_pandas()["code"].tolist() == ["007", ""]


def test_windows_1252_and_a_mangled_bom_header():
    data = b'\xef\xbb\xbf"\xef\xbb\xbfName",Town\nCaf\xc3\xa9,Perth\n'
    assert read_csv_text(data, "t.csv").table.column_names == ["Name", "Town"]
    read = read_csv_text("Name,Town\nCafé,Oban\n".encode("cp1252"), "t.csv")
    assert (read.encoding, read.table.column("Name").to_pylist()) == ("cp1252", ["Café"])


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "no header line"), (b"\x81\x8d\x8f\x90", "neither UTF-8 nor Windows-1252")],
)
def test_unreadable_files_name_the_file(data, message):
    with pytest.raises(UnreadableCsv, match=f"cannot read broken.csv: {message}"):
        read_csv_text(data, "broken.csv")


def test_an_unterminated_quote_is_a_malformed_row_not_a_silent_merge():
    read = read_csv_text(b'a,b\n1,2\n"open,3\n4,5\n', "broken.csv")
    assert read.table.to_pylist() == [{"a": "1", "b": "2"}]
    assert [(row.line, str(row)) for row in read.malformed] == [(3, "1 field(s) where the header has 2")]
