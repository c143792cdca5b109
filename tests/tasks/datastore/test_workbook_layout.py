"""The workbook printed whole by LibreOffice, as a person prints it, and read back from the PDF's text boxes.

One workbook of a few thousand simulated services is printed once for the module; its pages are saved as
PNG images in the test artifact folder (test-artifacts/workbook-pages/) for a person to look at.
"""

import io
import time
from dataclasses import dataclass

import openpyxl
import pytest

from tasks.datastore.workbook import DATA_PRINT_ROWS, WorkbookResult, build_workbook
from tests.support.browser import artifact_folder
from tests.support.editions import AS_AT, synthetic_edition
from tests.support.libreoffice import print_to_pdf
from tests.support.pdf_layout import Page, pdf_pages, save_page_images, squeezed

pytestmark = pytest.mark.libreoffice

SERVICES = 2_000  # before print areas, LibreOffice took 47 s and 946 pages to print this many services
PRINT_TIMEOUT = 60  # seconds: printing them now takes about 3 s
CHANGES = {"Registered": 1_234, "Cancelled": 5, "Grades changed": 17, "Details changed": 2}


@dataclass
class Printed:
    """The workbook, as built and as LibreOffice printed it."""

    result: WorkbookResult
    cells: dict[str, list[str]]  # each sheet's text in column A of its first rows (all of the Cover)
    pages: list[Page]
    seconds: float

    def sheet_pages(self, sheet: str) -> list[Page]:
        """The pages that print one sheet (each page's footer names its sheet)."""
        return [page for page in self.pages if page.sheet == sheet]


@pytest.fixture(scope="module")
def text():
    return synthetic_edition(SERVICES, seed=21)


@pytest.fixture(scope="module")
def printed(text, soffice, tmp_path_factory) -> Printed:
    result = build_workbook(text, AS_AT, CHANGES, simulated=True)
    folder = tmp_path_factory.mktemp("printed")
    started = time.monotonic()
    pdf = print_to_pdf(soffice, folder / "profile", folder, result.data, "datastore", PRINT_TIMEOUT)
    seconds = time.monotonic() - started
    save_page_images(pdf, artifact_folder() / "workbook-pages", "datastore")
    book = openpyxl.load_workbook(io.BytesIO(result.data), read_only=True)
    cells = {
        ws.title: [
            row[0] for row in ws.iter_rows(max_row=None if ws.title == "Cover" else 2, values_only=True)
        ]
        for ws in book.worksheets
    }
    return Printed(result, cells, pdf_pages(pdf), seconds)


def test_printing_the_whole_workbook_is_quick_and_prints_a_sample_of_the_data(printed, text):
    assert printed.seconds < PRINT_TIMEOUT
    assert [page.sheet for page in printed.pages if page.sheet is None] == []  # every page has its footer
    data = printed.sheet_pages("Data")
    assert 1 <= len(data) <= 3
    shown = squeezed("".join(page.text for page in data))
    assert squeezed(text["CSNumber"][DATA_PRINT_ROWS - 1]) in shown
    assert squeezed(text["CSNumber"][DATA_PRINT_ROWS]) not in shown
    assert len(printed.pages) <= 15


def test_no_two_lines_of_text_overlap_on_any_page(printed):
    overlaps = {
        f"page {page.number} ({page.sheet})": [(a.text, b.text) for a, b in page.overlapping_lines()]
        for page in printed.pages
    }
    assert {where: pairs for where, pairs in overlaps.items() if pairs} == {}


def test_every_word_of_the_cover_is_printed_whole_on_the_paper(printed):
    pages = printed.sheet_pages("Cover")
    assert pages and pages[0].number == 1
    shown = squeezed("".join(page.text for page in pages))
    assert shown.startswith(squeezed("Simulated data, not the register: Care Inspectorate Datastore as at"))
    position = 0
    for line in printed.cells["Cover"]:
        found = shown.find(squeezed(line), position)
        assert found >= 0, f"not printed whole: {line!r}"
        position = found + len(squeezed(line))
    assert [word for page in pages for word in page.words_outside()] == []


def test_every_sheet_title_and_pivot_label_is_printed_whole(printed, text):
    for sheet, (title, note) in list(printed.cells.items())[1:]:
        first = printed.sheet_pages(sheet)[0]
        assert squeezed(title) in squeezed(first.text) and squeezed(note) in squeezed(first.text), sheet
        assert first.words_outside() == [], sheet
    by_council = squeezed("".join(page.text for page in printed.sheet_pages("Services by council area")))
    for label in [*set(text["Council_Area_Name"]), *set(text["CareService"]), "Total Result"]:
        assert squeezed(label) in by_council, label
    assert "1,234" in printed.sheet_pages("Cover")[-1].text  # the changes, with a thousands separator
