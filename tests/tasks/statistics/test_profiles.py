"""Service profiles and the index, drawn from a hand-made inspector table as published: what a page says is
what the table says, in its own words and numbers, and the same table gives the same bytes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from carestats.errors import BadInputError
from tasks.shared.published_text import read_published_csv
from tasks.statistics.indicators import benchmark_table, table_files
from tasks.statistics.profiles import drawn_from, index_html, profile_html
from tests.support.benchmarks import (
    CARE_HOME,
    CHILDMINDER,
    cs,
    register_frame,
    returns_frame,
    service,
    staffed,
)

SHA = "0123456789abcdef" * 4
OTHER_SHA = "f" * 64


class Tables(HTMLParser):
    """Every table row of a page as the text of its cells, and every link's target."""

    def __init__(self, page: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def table():
    """Six care homes in Fife and a childminder, as the published CSV reads back, and one home's return of
    last year. Turnover: 5, 10, 15, 20 and 40 of 100 people, 1 of 8 (12.5%), the childminder 1 of 1.
    Registered with the SSSC: 90 of 100, but 10 of 100 at the home of 40% turnover, 8 of 8, 1 of 1."""
    staff = {
        1: (100, 5, 90),
        2: (100, 10, 90),
        3: (100, 15, 90),
        4: (100, 20, 90),
        5: (100, 40, 10),
        6: (8, 1, 8),
    }
    rows = [
        service(cs(n), sssc=registered, **staffed(Headcount=h, WTE=h, Leavers=left, Starters=left))
        for n, (h, left, registered) in staff.items()
    ]
    minder = staffed("Manager", Headcount=1, WTE=1, Vacant_WTE=None, Leavers=1, Starters=1)
    rows.append(service(cs(7), sssc=1, **minder))
    last_year = [service(cs(5), sssc=20, **staffed(Headcount=100, WTE=100, Leavers=30, Starters=30))]
    register = register_frame({cs(n): CARE_HOME for n in range(1, 7)} | {cs(7): CHILDMINDER})
    register.loc[register["CSNumber"] == cs(5), "ServiceName"] = 'Rowan <b>"House"</b> & Co'
    typed = benchmark_table(returns_frame(rows), returns_frame(last_year), register, 2026)
    return read_published_csv(table_files(typed, 2026)["benchmarks_2026.csv"])


def figures_of(page: str) -> dict[str, list[str]]:
    """The figures table of a profile by indicator label: service, peers, Scotland, peers compared,
    percentile, flag, change."""
    rows = Tables(page).rows
    header = rows.index(next(r for r in rows if r and r[0] == "Indicator"))
    return {row[0]: row[1:] for row in rows[header + 1 : header + 6]}


def test_a_profile_shows_the_services_figures_flags_and_change(table):
    page = profile_html(table, cs(5), 2026, SHA)
    figures = figures_of(page)
    # 40 of 100 left; peers: 91 of 508 (17.9%); Scotland: 92 of 509 (18.1%); the highest of six peers:
    # (5 + 0.5) / 6 = 91.7; last year 30 of 100
    assert figures["Staff turnover"] == ["40.0%", "17.9%", "18.1%", "6", "91.7", "Stands out", "+10.0 points"]
    # 10 of 100 registered; peers: 378 of 508 (74.4%); Scotland: 379 of 509 (74.5%); the lowest of six:
    # (0 + 0.5) / 6 = 8.3; last year 20 of 100
    assert figures["Staff registered with the SSSC"] == [
        "10.0%",
        "74.4%",
        "74.5%",
        "6",
        "8.3",
        "Stands out",
        "-10.0 points",
    ]
    assert figures["Vacancy rate"][:2] == ["0.0%", "0.0%"] and figures["Vacancy rate"][5] == "In range"
    assert "Stands out on 2 of 5 indicators: Staff turnover; Staff registered with the SSSC." in page
    assert '<td class="flag-stands-out">Stands out</td>' in page


def test_a_profile_is_a_self_contained_accessible_internal_page(table):
    page = profile_html(table, cs(5), 2026, SHA)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert (
        "<title>CS2026000005 Rowan &lt;b&gt;&quot;House&quot;&lt;/b&gt; &amp; Co: staffing benchmarks" in page
    )
    assert "<b>" not in page  # the register's text is shown, never run as markup
    assert "<h1>Rowan &lt;b&gt;&quot;House&quot;&lt;/b&gt; &amp; Co</h1>" in page
    assert '<p class="cs">CS2026000005</p>' in page
    assert "Internal: not for publication." in page
    assert page.count("<h2 ") == 5 and '<th scope="row">Staff turnover</th>' in page
    assert "<svg" in page and "<title>Rowan" in page  # the chart, titled for screen readers
    assert re.search(r'(src|href)="(https?:)?//', page) is None  # nothing fetched from elsewhere
    assert "among at least 5 peers" in page and "at or above the 90th percentile" in page
    assert (
        "at or below the 10th percentile where a lower figure is worse (staff registered with the SSSC)"
        in page
    )
    assert drawn_from(page.encode()) == SHA


def test_the_same_table_draws_the_same_bytes_and_another_table_a_page_that_says_so(table):
    assert profile_html(table, cs(5), 2026, SHA) == profile_html(table, cs(5), 2026, SHA)
    other = profile_html(table, cs(5), 2026, OTHER_SHA)
    assert drawn_from(other.encode()) == OTHER_SHA
    assert drawn_from(b"<!DOCTYPE html><title>no record</title>") is None


def test_a_childminder_has_no_vacancy_rate_and_too_few_peers(table):
    page = profile_html(table, cs(7), 2026, SHA)
    figures = figures_of(page)
    assert figures["Vacancy rate"] == ["no value", "no value", "0.0%", "0", "–", "No value", "not known"]
    assert figures["Staff turnover"] == ["100.0%", "100.0%", "18.1%", "1", "–", "Too few peers", "not known"]
    assert "No value for this service" in page  # in the chart's vacancy panel
    assert "Does not stand out on any indicator." in page
    assert "<dt>Subtype</dt><dd>none</dd>" in page


def test_an_unknown_cs_number_is_an_error_naming_it(table):
    with pytest.raises(BadInputError, match="CS2026000099 is not in the inspection benchmarks of 2026"):
        profile_html(table, cs(99), 2026, SHA)


def test_the_index_lists_every_service_most_flags_first_linking_the_profiles_drawn(table):
    page = index_html(table, [cs(5), cs(7)], 2026, SHA)
    rows = [row for row in Tables(page).rows if row and row[0].startswith("CS20")]
    assert [row[0] for row in rows] == [cs(5), cs(1), cs(2), cs(3), cs(4), cs(6), cs(7)]
    assert rows[0][4:] == ["2", "Staff turnover; Staff registered with the SSSC", "Profile"]
    assert rows[1][4:] == ["0", "", "Not drawn yet"]
    assert rows[-1][6] == "Profile"
    assert [link for link in Tables(page).links if link.startswith("CS")] == [
        f"{cs(5)}.html",
        f"{cs(7)}.html",
    ]
    assert '<input id="find" type="search"' in page and '<label for="find">' in page
    assert 'data-find="CS2026000005 ROWAN &lt;B&gt;&quot;HOUSE&quot;&lt;/B&gt; &amp; CO"' in page
    assert "7 services with a current return; 1 stand out" in page
    assert drawn_from(page.encode()) == SHA
    assert page == index_html(table, [cs(7), cs(5)], 2026, SHA)
