"""The catalogue page opened from a plain folder in headless Chromium, as a reader on a desk or phone sees it.

A small publish area is built with real files and manifests (a year-end snapshot with a kept revision, a
snapshot without a workbook, a monthly edition that is not listed and a simulated latest edition), the
catalogue is rebuilt by the Prefect task, and every link on the page is followed to the file it names.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tasks.catalogue.steps import rebuild_catalogue, rebuild_catalogue_in
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake import open_lake, sha256_hex
from tasks.shared.lake_map import MANIFEST, Catalogue, DatastoreEdition
from tasks.shared.publication import with_manifest
from tests.support.browser import screenshot

REASON = 'Late cancellations added <script>alert("revised")</script>'
LINKS = """() => Array.from(document.querySelectorAll("a[href]"), a => ({
    href: a.getAttribute("href"),
    url: a.href,
    text: a.textContent,
    checksum: a.parentElement.querySelector(".checksum code")?.textContent ?? null,
}))"""


def edition_files(as_at: dt.date, services: list[str], workbook: bool = True) -> dict[str, bytes]:
    """An edition's files as small as they can be, but real: CSVs, a quality report, a data package."""
    place = DatastoreEdition(as_at)
    rows = "".join(f"CS{i:010d},{name}\n" for i, name in enumerate(services))
    files = {
        place.csv: f"CSNumber,ServiceName\n{rows}".encode(),
        place.definitions: b"Column,Definition\nCSNumber,The service's registration number\n",
        place.changes: f"CSNumber,Change\nCS{0:010d},Registered\n".encode(),
        f"{place.quality_report.stem}.json": canonical_json({"passed": True}),
        f"{place.quality_report.stem}.html": b"<!DOCTYPE html><title>Quality</title><p>Passed.</p>\n",
        DatastoreEdition.DATAPACKAGE: canonical_json({"name": f"datastore-{place.stamp}", "resources": []}),
    }
    if workbook:
        files[place.workbook] = b"PK\x03\x04" + rows.encode()  # bytes to download and hash, not opened here
    return files


def publish(lake, folder: str, as_at: dt.date, services: list[str], workbook: bool = True, **facts) -> str:
    """Publish one folder with its manifest; returns the manifest's sha256."""
    files = with_manifest(
        edition_files(as_at, services, workbook),
        {
            "as_at": as_at.isoformat(),
            "row_count": len(services),
            "code_version": "test",
            "register_extract": {"extract_date": (as_at + dt.timedelta(days=2)).isoformat()},
            "changes_since_previous_edition": {"Registered": 1},
            **facts,
        },
    )
    lake.publish_folder(folder, files)
    return sha256_hex(files[MANIFEST])


@pytest.fixture(scope="module")
def published(prefect_harness, tmp_path_factory) -> tuple[Path, dict]:
    """The lake's root and the catalogue task's summary, once for the module."""
    root = tmp_path_factory.mktemp("catalogue_lake")
    lake = open_lake(str(root))
    older, snapshot = DatastoreEdition(dt.date(2024, 3, 31)), DatastoreEdition(dt.date(2025, 3, 31))
    publish(lake, older.folder, older.as_at, ["Café Ùna"], workbook=False, year_end_snapshot=True)
    first = publish(
        lake,
        snapshot.revision(1),
        snapshot.as_at,
        ["Café Ùna", "Plain Nursery"],
        year_end_snapshot=True,
        revision={"number": 1, "reason": None, "revises": None},
    )
    publish(
        lake,
        snapshot.folder,
        snapshot.as_at,
        ["Café Ùna", "Plain Nursery", "Late Lodge"],
        year_end_snapshot=True,
        revision={
            "number": 2,
            "reason": REASON,
            "revises": {"number": 1, "folder": snapshot.revision(1), "manifest_sha256": first},
        },
    )
    for day, simulated in ((dt.date(2025, 7, 31), False), (dt.date(2025, 8, 31), True)):
        edition = DatastoreEdition(day)
        publish(
            lake,
            edition.folder,
            day,
            ["Simulated Home", "=1+2"],
            year_end_snapshot=False,
            simulated=simulated,
        )
    return root, rebuild_catalogue(str(root))


@pytest.fixture
def desktop_page(browser, published):
    """The catalogue page opened from file:// in a desktop-sized window."""
    root, _ = published
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.goto((root / Catalogue.key(Catalogue.PAGE)).as_uri())
    yield opened
    context.close()


def test_the_task_writes_the_json_then_the_page_and_lists_the_latest_edition_and_the_snapshots(published):
    root, summary = published
    assert summary == {
        "page": str(root / "publish" / "index.html"),
        "keys": ["publish/catalogue.json", "publish/index.html"],
        "latest": "2025-08-31",
        "editions": ["2025-08-31", "2025-03-31", "2024-03-31"],
        "statistics": [],
    }
    listed = json.loads((root / "publish" / "catalogue.json").read_bytes())
    assert [r["number"] for r in listed["editions"][1]["earlier_revisions"]] == [1]


def test_every_link_opens_a_file_whose_sha256_is_the_one_the_page_and_the_json_state(desktop_page, published):
    root, _ = published
    publish_area = root / "publish"
    catalogue = json.loads((publish_area / Catalogue.JSON).read_bytes())
    stated = {entry["link"]: entry["sha256"] for entry in _entries(catalogue)}
    links = desktop_page.evaluate(LINKS)
    local = [link for link in links if urlparse(link["href"]).scheme == ""]
    assert {link["href"] for link in local} == {*stated, Catalogue.JSON}
    for link in local:
        path = Path(unquote(urlparse(link["url"]).path))
        assert path.is_file(), f"{link['text']!r} leads to {path}, which is not there"
        assert publish_area in path.parents
        if link["href"] == Catalogue.JSON:
            continue
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        assert actual == stated[link["href"]] == link["checksum"], link["text"]
    external = {link["href"] for link in links} - {link["href"] for link in local}
    assert external == {
        catalogue["licence"]["url"],
        catalogue["publisher"]["website"],
        f"mailto:{catalogue['publisher']['email']}",
    }
    texts = {link["text"] for link in links}
    for words, folder in (("", "2025-03-31"), (", revision 1", "revisions/2025-03-31/revision-001")):
        size = (publish_area / "datastore" / folder / "datastore_2025-03-31.csv").stat().st_size
        assert f"Datastore 31 March 2025{words}, CSV ({size} bytes)" in texts
    screenshot(desktop_page, "catalogue-page.png")


def test_the_page_has_no_script_and_its_headings_and_tables_are_in_order(desktop_page):
    assert desktop_page.evaluate("document.scripts.length") == 0
    assert desktop_page.evaluate("document.documentElement.lang") == "en-GB"
    assert desktop_page.locator('meta[name="viewport"]').count() == 1
    levels = desktop_page.evaluate(
        "Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'), h => +h.tagName[1])"
    )
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False))
    tables = desktop_page.evaluate(
        """() => Array.from(document.querySelectorAll("table"), t => ({
            caption: t.caption?.textContent ?? "",
            scopes: Array.from(t.querySelectorAll("th"), th => th.getAttribute("scope")),
        }))"""
    )
    assert len(tables) == 4  # the latest edition, the 2025 snapshot and its earlier revisions, 2024
    assert all(table["caption"] and set(table["scopes"]) <= {"row", "col"} for table in tables)
    assert desktop_page.get_by_text(REASON).count() == 1  # shown as text, not run
    assert desktop_page.get_by_text("Built from simulated data.").count() == 1
    assert desktop_page.get_by_role("link", name="Open Government Licence v3.0").count() == 1


def test_at_320_pixels_wide_the_page_reflows_without_scrolling_sideways(browser, published):
    root, _ = published
    context = browser.new_context(viewport={"width": 320, "height": 640})
    narrow = context.new_page()
    narrow.goto((root / Catalogue.key(Catalogue.PAGE)).as_uri())
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(narrow, "catalogue-page-320px.png")
    context.close()


def _entries(value) -> list[dict]:
    """Every file entry (a dict with a link and a sha256) anywhere in the catalogue."""
    if isinstance(value, dict):
        own = [value] if "link" in value else []
        return own + [entry for inner in value.values() for entry in _entries(inner)]
    if isinstance(value, list):
        return [entry for inner in value for entry in _entries(inner)]
    return []


def test_a_folder_without_a_manifest_is_left_out_and_a_rebuild_writes_the_same_bytes(tmp_path, caplog):
    lake = open_lake(str(tmp_path))
    august, september = DatastoreEdition(dt.date(2025, 8, 31)), DatastoreEdition(dt.date(2025, 9, 30))
    publish(lake, august.folder, august.as_at, ["Plain Nursery"])
    lake.write_bytes(f"{september.folder}/{september.csv}", b"CSNumber\n")  # half-published: no manifest
    first = rebuild_catalogue_in(lake)
    written = {key: lake.read_bytes(key) for key in first["keys"]}
    assert (first["latest"], first["editions"]) == ("2025-08-31", ["2025-08-31"])
    assert "publish/datastore/2025-09-30 has no manifest.json" in caplog.text
    assert rebuild_catalogue_in(lake) == first
    assert {key: lake.read_bytes(key) for key in first["keys"]} == written
