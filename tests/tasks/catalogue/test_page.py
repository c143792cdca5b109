"""The catalogue lists the latest edition and every year-end snapshot from their manifests alone."""

import json
import re

import pytest

from carestats.dictionary import load_dictionary
from tasks.catalogue.page import FoundManifest, catalogue_content, catalogue_files, catalogue_page, human_size
from tasks.shared.lake_map import Catalogue, ReturnStatistics

HOSTILE = '<script>alert("x")</script> & "quotes"'


def manifest(as_at: str, **facts) -> dict:
    """An edition manifest as with_edition_manifest writes it, with made-up sha256 and sizes."""
    names = [f"datastore_{as_at}.csv", f"datastore_{as_at}.xlsx", f"changes_{as_at}.csv", "datapackage.json"]
    files = {name: {"sha256": f"{i:x}" * 64, "bytes": 2_100_000 // (i + 1)} for i, name in enumerate(names)}
    return {
        "as_at": as_at,
        "row_count": 14_321,
        "code_version": "abc123",
        "register_extract": {"extract_date": as_at, "files_sha256": {}},
        "changes_since_previous_edition": {"Registered": 3},
        "files": files,
        **facts,
    }


def live(as_at: str, **facts) -> FoundManifest:
    return FoundManifest(f"publish/datastore/{as_at}", manifest(as_at, **facts), as_at[-2:] * 32)


def kept(as_at: str, number: int, reason: str | None = None, **facts) -> FoundManifest:
    folder = f"publish/datastore/revisions/{as_at}/revision-{number:03d}"
    facts = {"revision": {"number": number, "reason": reason}, **facts}
    return FoundManifest(folder, manifest(as_at, **facts), f"{number:02d}" * 32)


EDITIONS = [
    live("2024-03-31", year_end_snapshot=True),
    live("2025-03-31", year_end_snapshot=True, revision={"number": 3, "reason": "Grades corrected"}),
    live("2025-07-31"),
    live("2025-08-31", simulated=True),
]
REVISIONS = [kept("2025-03-31", 1), kept("2025-03-31", 2, reason="Late cancellations")]


def content(editions=EDITIONS, revisions=REVISIONS) -> dict:
    return catalogue_content(editions, revisions, load_dictionary())


def every_link(value) -> list[str]:
    """Every "link" anywhere in the catalogue content."""
    if isinstance(value, dict):
        return ([value["link"]] if "link" in value else []) + [
            x for v in value.values() for x in every_link(v)
        ]
    if isinstance(value, list):
        return [x for v in value for x in every_link(v)]
    return []


def test_the_latest_edition_and_every_year_end_snapshot_are_listed_newest_first():
    listed = content()
    assert listed["latest"] == "2025-08-31"
    assert [(e["as_at"], e["kind"]) for e in listed["editions"]] == [
        ("2025-08-31", "monthly"),
        ("2025-03-31", "year_end_snapshot"),
        ("2024-03-31", "year_end_snapshot"),
    ]  # July is neither the latest nor a snapshot


def test_an_edition_lists_its_files_size_rows_and_checksums_relative_to_the_publish_area():
    snapshot = content()["editions"][1]
    assert snapshot["csv"] == {
        "name": "datastore_2025-03-31.csv",
        "link": "datastore/2025-03-31/datastore_2025-03-31.csv",
        "sha256": "0" * 64,
        "bytes": 2_100_000,
    }
    assert snapshot["workbook"]["link"] == "datastore/2025-03-31/datastore_2025-03-31.xlsx"
    assert snapshot["changes"]["link"] == "datastore/2025-03-31/changes_2025-03-31.csv"
    assert snapshot["data_package"]["link"] == "datastore/2025-03-31/datapackage.json"
    assert snapshot["manifest"] == {
        "name": "manifest.json",
        "link": "datastore/2025-03-31/manifest.json",
        "sha256": "31" * 32,
    }
    assert (snapshot["row_count"], snapshot["simulated"], snapshot["register_extract_date"]) == (
        14_321,
        False,
        "2025-03-31",
    )


def test_a_snapshot_lists_its_current_revision_and_its_earlier_ones_newest_first_with_their_own_files():
    snapshot = content()["editions"][1]
    assert snapshot["revision"] == {"number": 3, "reason": "Grades corrected"}
    earlier = snapshot["earlier_revisions"]
    assert [(r["number"], r["reason"]) for r in earlier] == [(2, "Late cancellations"), (1, None)]
    folder = "datastore/revisions/2025-03-31/revision-002"
    assert [f["link"] for f in earlier[0]["files"]] == [
        f"{folder}/changes_2025-03-31.csv",
        f"{folder}/datapackage.json",
        f"{folder}/datastore_2025-03-31.csv",
        f"{folder}/datastore_2025-03-31.xlsx",
    ]
    assert earlier[0]["folder"] == folder
    assert earlier[0]["manifest"] == {
        "name": "manifest.json",
        "link": f"{folder}/manifest.json",
        "sha256": "02" * 32,
    }


def test_every_link_is_relative_to_the_publish_area_in_the_json_and_on_the_page():
    listed = content()
    links = every_link(listed)
    assert (
        len(links) == 3 * 5 + 2 * 5
    )  # three editions and two earlier revisions, four files and a manifest each
    assert all(link.startswith("datastore/") and ".." not in link for link in links)
    page = catalogue_page(listed).decode()
    hrefs = re.findall(r'href="([^"]*)"', page)
    external = {
        listed["licence"]["url"],
        listed["publisher"]["website"],
        f"mailto:{listed['publisher']['email']}",
    }
    assert sorted(set(hrefs) - external) == sorted({*links, Catalogue.JSON})


def test_link_text_says_what_each_link_leads_to_and_how_big_it_is():
    page = catalogue_page(content()).decode()
    assert '">Datastore 31 March 2025, CSV (2.1 MB)</a>' in page
    assert '">Datastore 31 March 2025, Excel workbook (1.1 MB)</a>' in page
    assert '">Datastore 31 March 2025, revision 2, CSV (2.1 MB)</a>' in page
    assert '">Manifest of Datastore 31 August 2025, JSON</a>' in page
    assert ">download<" not in page.lower()


def test_hostile_text_from_a_manifest_is_escaped_everywhere_on_the_page():
    editions = [
        live("2025-03-31", revision={"number": 2, "reason": HOSTILE}),
        live("2024-03-31", files={'"><script>x</script>.csv': {"sha256": "<b>", "bytes": 1}}),
    ]
    revisions = [kept("2025-03-31", 1, reason=HOSTILE)]
    page = catalogue_page(content(editions, revisions)).decode()
    assert "<script" not in page
    shown = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;"
    assert page.count(shown) == 4  # both reasons, each under the latest edition and under the snapshots
    assert "<b>" not in page


def test_an_edition_built_from_simulated_data_says_so_at_the_top_and_beside_it():
    page = catalogue_page(content()).decode()
    assert page.count("Built from simulated data.") == 1  # August's own notice
    assert '<p class="notice"><strong>Simulated data.</strong>' in page
    real = catalogue_page(content([live("2025-08-31")], [])).decode()
    assert "simulated" not in real.lower()


def test_a_simulated_earlier_revision_says_so_too():
    page = catalogue_page(content([live("2025-03-31")], [kept("2025-03-31", 1, simulated=True)])).decode()
    assert "Datastore 31 March 2025, revision 1 was made from a simulated register" in page
    assert "<strong>Simulated data.</strong>" in page


def test_the_same_manifests_in_any_order_give_the_same_bytes():
    once = catalogue_files(content())
    again = catalogue_files(content(list(reversed(EDITIONS)), list(reversed(REVISIONS))))
    assert once == again
    assert list(once) == [Catalogue.JSON, Catalogue.PAGE]  # the JSON is written first
    assert json.loads(once[Catalogue.JSON]) == content()


def test_manifests_written_before_snapshots_and_revisions_existed_still_list():
    old = FoundManifest(
        "publish/datastore/2023-03-31",
        {
            "as_at": "2023-03-31",
            "row_count": 9,
            "files": {"datastore_2023-03-31.csv": {"sha256": "a", "bytes": 5}},
        },
        "b" * 64,
    )
    (edition,) = content([old], [])["editions"]
    assert edition["kind"] == "year_end_snapshot"  # 31 March is the year's snapshot by its date
    assert (edition["simulated"], edition["revision"], edition["earlier_revisions"]) == (
        False,
        {"number": 1, "reason": None},
        [],
    )
    assert (edition["workbook"], edition["changes"], edition["register_extract_date"]) == (None, None, None)
    page = catalogue_page(content([old], [])).decode()
    assert "Revision 1 (current). As first published." in page
    assert "Not published for this edition." in page


def test_a_catalogue_with_no_editions_says_so():
    empty = content([], [])
    assert (empty["latest"], empty["editions"]) == (None, [])
    page = catalogue_page(empty).decode()
    assert "No edition has been published yet." in page
    assert "No year-end snapshot has been published yet." in page
    assert "Open Government Licence v3.0" in page


def test_the_page_is_plain_html5_in_british_english_with_a_viewport_and_no_script():
    page = catalogue_page(content()).decode()
    assert page.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page and "javascript:" not in page
    assert not re.search(r"<[^>]*\son\w+=", page)  # no event handler attributes either
    levels = [int(level) for level in re.findall(r"<h([1-6])", page)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert page.count("<table>") == page.count("<caption>") == 4
    assert not re.search(r"<th(?=[\s>])(?! scope=\"(row|col)\")", page)


def test_a_folder_outside_the_publish_area_is_refused():
    stray = FoundManifest("curated/datastore/2025-08-31", manifest("2025-08-31"), "c" * 64)
    with pytest.raises(ValueError, match="outside publish/"):
        content([stray], [])


@pytest.mark.parametrize(
    ("size", "shown"),
    [(1, "1 byte"), (999, "999 bytes"), (1000, "1 KB"), (14_321, "14 KB"), (999_499, "999 KB"),
     (999_500, "1.0 MB"), (2_100_000, "2.1 MB"), (1_234_567_890, "1.2 GB")],
)  # fmt: skip
def test_sizes_are_shown_as_a_reader_judges_a_download(size, shown):
    assert human_size(size) == shown


def statistics_manifest(year: int) -> FoundManifest:
    """A return year's statistics manifest as the statistics flow writes it, with made-up sha256 and sizes."""
    place = ReturnStatistics(year)
    names = [place.bulletin, place.workbook, *(place.table(name) for name in STATISTICS_TABLES)]
    files = {name: {"sha256": f"{i:x}" * 64, "bytes": 40_000 + i} for i, name in enumerate(names)}
    facts = {
        "title": "Staff vacancies in care services",
        "return_year": year,
        "describes": f"{year - 1}-12-31",
    }
    return FoundManifest(place.folder, {**facts, "files": files}, f"{year % 100:02d}" * 32)


STATISTICS_TABLES = list(load_dictionary().return_statistics["tables"])


def test_statistics_are_listed_newest_first_after_the_editions_with_every_table_titled():
    listed = catalogue_content(
        EDITIONS, REVISIONS, load_dictionary(), [statistics_manifest(2025), statistics_manifest(2026)]
    )
    assert [published["return_year"] for published in listed["statistics"]] == [2026, 2025]
    latest = listed["statistics"][0]
    assert latest["describes"] == "2025-12-31" and latest["simulated"] is False
    assert latest["bulletin"]["link"] == "statistics/2026/staff_vacancies_2026.html"
    assert latest["manifest"]["link"] == "statistics/2026/manifest.json"
    assert [table["title"] for table in latest["tables"]] == [
        spec["title"] for spec in load_dictionary().return_statistics["tables"].values()
    ]
    page = catalogue_page(listed).decode()
    headings = re.findall(r"<h([23])>(.*?)</h\1>", page)
    assert [text for level, text in headings if level == "2"][-3:] == [
        "Statistics from the annual returns",
        "Licence",
        "Contact",
    ]
    assert "<h3>Staff vacancies in care services, 31 December 2025</h3>" in page
    assert page.index("31 December 2025</h3>") < page.index("31 December 2024</h3>")
    assert "Bulletin with charts, HTML (40 KB)" in page


def test_no_statistics_no_section_and_simulated_statistics_say_so():
    without = catalogue_page(content()).decode()
    assert "Statistics from the annual returns" not in without and content()["statistics"] == []
    simulated = statistics_manifest(2026)
    simulated.facts["simulated"] = True
    page = catalogue_page(catalogue_content([], [], load_dictionary(), [simulated])).decode()
    assert "The publication of the 2026 returns was made from a simulated register" in page
