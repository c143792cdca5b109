"""The public catalogue of Datastore editions, made from manifests alone: its content, JSON and static page.

The catalogue lists the latest edition and every year-end snapshot, newest first, each with its files'
links, sizes and sha256, and the earlier revisions of a snapshot kept under publish/datastore/revisions;
then the statistics published from each year's annual returns (publish/statistics), newest first.
Everything it says comes from the manifests, so rebuilding it from the same lake gives the same bytes;
links are relative to the publish area, where the page and its JSON live, so the page works from a plain
folder and from an S3 static website alike. The page is plain HTML5 with a little inline CSS and no
JavaScript: it must be readable on a 320 px wide phone and by a screen reader.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from carestats.dictionary import DataDictionary
from carestats.settings import is_year_end
from tasks.shared.canonical_json import canonical_json
from tasks.shared.lake_map import MANIFEST, PUBLISH, Catalogue, DatastoreEdition, ReturnStatistics

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)  # spelled here, not by strftime, so that the page's bytes do not depend on the machine's locale

MONTHLY = "monthly"
YEAR_END_SNAPSHOT = "year_end_snapshot"


@dataclass(frozen=True)
class FoundManifest:
    """A manifest as read from the lake: its folder's key, its facts, and the sha256 of its own bytes.

    That is all the catalogue needs to list a folder: the manifest names every file with its sha256 and
    size, so no data file is read to build the page.
    """

    folder: str  # e.g. publish/datastore/2025-03-31 or publish/datastore/revisions/2025-03-31/revision-001
    facts: dict[str, Any]
    sha256: str

    @property
    def as_at(self) -> dt.date:
        """The edition date the manifest states."""
        return dt.date.fromisoformat(self.facts["as_at"])

    @property
    def revision(self) -> dict[str, Any]:
        """The revision's number and reason; a manifest written before revisions existed is revision 1."""
        stated = self.facts.get("revision") or {}
        return {"number": int(stated.get("number", 1)), "reason": stated.get("reason")}


def catalogue_content(
    editions: Iterable[FoundManifest],
    revisions: Iterable[FoundManifest],
    dictionary: DataDictionary,
    statistics: Iterable[FoundManifest] = (),
) -> dict[str, Any]:
    """What the catalogue says, as catalogue.json holds it and the page shows it.

    `editions` are the manifests of the live edition folders, `revisions` those of the replaced revisions
    kept under publish/datastore/revisions, `statistics` those of the statistics' return years. Listed: the
    latest edition (the newest by date) and every year-end snapshot, each once, newest first, with its
    earlier revisions newest first; then every return year's statistics, newest first.
    """
    live = {found.as_at: found for found in editions}
    archived: dict[dt.date, list[FoundManifest]] = {}
    for found in revisions:
        archived.setdefault(found.as_at, []).append(found)
    latest = max(live, default=None)
    listed = sorted((day for day in live if day == latest or _year_end(live[day])), reverse=True)
    publisher = dictionary.publisher
    return {
        "title": dictionary.datastore_title,
        "publisher": {
            "name": publisher.name,
            "team": publisher.team,
            "email": publisher.email,
            "phone": publisher.phone,
            "website": publisher.website,
        },
        "source": publisher.source,
        "licence": {"name": dictionary.licence, "url": publisher.licence_url},
        "latest": latest.isoformat() if latest else None,
        "editions": [_edition(live[day], archived.get(day, [])) for day in listed],
        "statistics": sorted(
            (_statistics(found, dictionary) for found in statistics),
            key=lambda published: published["return_year"],
            reverse=True,
        ),
    }


def catalogue_files(content: dict[str, Any]) -> dict[str, bytes]:
    """catalogue.json and index.html from the content, in the order to write them: the JSON first, so a
    reader who follows the page to its JSON never finds the JSON older than the page.
    """
    return {Catalogue.JSON: canonical_json(content), Catalogue.PAGE: catalogue_page(content)}


def _year_end(found: FoundManifest) -> bool:
    """Whether the edition is a year-end snapshot; a manifest written before the fact existed says so by
    its date (the edition as at 31 March is the year's snapshot)."""
    return bool(found.facts.get("year_end_snapshot", is_year_end(found.as_at)))


def _relative(folder: str) -> str:
    """A lake folder's key as a link from the publish area, where the catalogue lives."""
    area = f"{PUBLISH}/"
    if not folder.startswith(area):
        raise ValueError(f"{folder} is outside {area}: the catalogue can only link what is published")
    return folder[len(area) :]


def _file(folder: str, facts: dict[str, Any], name: str) -> dict[str, Any] | None:
    """One file of a folder as the catalogue links it, or None when its manifest does not list it."""
    listed = facts.get("files", {}).get(name)
    if listed is None:
        return None
    return {"name": name, "link": f"{folder}/{name}", "sha256": listed["sha256"], "bytes": listed["bytes"]}


def _manifest(found: FoundManifest) -> dict[str, Any]:
    return {"name": MANIFEST, "link": f"{_relative(found.folder)}/{MANIFEST}", "sha256": found.sha256}


def _edition(found: FoundManifest, archived: list[FoundManifest]) -> dict[str, Any]:
    facts, place, folder = found.facts, DatastoreEdition(found.as_at), _relative(found.folder)
    return {
        "as_at": place.stamp,
        "kind": YEAR_END_SNAPSHOT if _year_end(found) else MONTHLY,
        "simulated": bool(facts.get("simulated", False)),
        "row_count": facts.get("row_count"),
        "register_extract_date": (facts.get("register_extract") or {}).get("extract_date"),
        "csv": _file(folder, facts, place.csv),
        "workbook": _file(folder, facts, place.workbook),
        "changes": _file(folder, facts, place.changes),
        "data_package": _file(folder, facts, DatastoreEdition.DATAPACKAGE),
        "manifest": _manifest(found),
        "revision": found.revision,
        "earlier_revisions": [
            _earlier_revision(kept)
            for kept in sorted(archived, key=lambda kept: kept.revision["number"], reverse=True)
        ],
    }


def _statistics(found: FoundManifest, dictionary: DataDictionary) -> dict[str, Any]:
    """One return year's statistics: the bulletin, the spreadsheet and each table's CSV with its title."""
    facts, folder = found.facts, _relative(found.folder)
    place = ReturnStatistics(int(facts["return_year"]))
    tables = [
        (spec["title"], _file(folder, facts, place.table(name)))
        for name, spec in dictionary.return_statistics["tables"].items()
    ]
    return {
        "return_year": place.return_year,
        "title": facts["title"],
        "describes": facts["describes"],
        "simulated": bool(facts.get("simulated", False)),
        "bulletin": _file(folder, facts, place.bulletin),
        "workbook": _file(folder, facts, place.workbook),
        "tables": [{**file, "title": title} for title, file in tables if file is not None],
        "manifest": _manifest(found),
    }


def _earlier_revision(found: FoundManifest) -> dict[str, Any]:
    folder = _relative(found.folder)
    return {
        **found.revision,
        "folder": folder,
        "simulated": bool(found.facts.get("simulated", False)),
        "files": [_file(folder, found.facts, name) for name in sorted(found.facts.get("files", {}))],
        "manifest": _manifest(found),
    }


# The page: a little CSS for small screens, no script, every text escaped.

STYLE = """
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; line-height: 1.5;
  color: #0b0c0c; margin: 0 auto; max-width: 48rem; padding: 1rem; }
h1, h2, h3, h4 { line-height: 1.25; }
a { color: #1d70b8; }
a:visited { color: #4c2c92; }
a:focus { outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding: 0 0 .5rem; }
th, td { border-top: 1px solid #b1b4b6; padding: .5rem .5rem .5rem 0; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th[scope="row"] { width: 35%; }
td p { margin: 0 0 .5rem; }
ul { margin: .25rem 0; padding-left: 1.25rem; }
code { font-size: .875em; overflow-wrap: anywhere; }
.checksum { display: block; color: #505a5f; font-size: .875rem; }
.notice { border-left: 6px solid #d4351c; padding: .5rem 1rem; margin: 1rem 0; background: #fbeae8; }
"""


def catalogue_page(content: dict[str, Any]) -> bytes:
    """index.html: the catalogue as a static HTML5 page, every text from the content escaped."""
    title = content["title"]
    editions = content["editions"]
    latest = [edition for edition in editions if edition["as_at"] == content["latest"]]
    snapshots = [edition for edition in editions if edition["kind"] == YEAR_END_SNAPSHOT]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}: editions and year-end snapshots</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_text(title)}</h1>",
        "<p>The Datastore lists every care service registered with the Care Inspectorate as at its edition "
        "date, the last day of a month. A new edition is published every month. The edition as at "
        "31 March is also that year's year-end snapshot and is kept for good; when a snapshot is revised, "
        "each earlier revision stays available, whole, below.</p>",
        f"<p>This list is also available as {_link(Catalogue.JSON, 'the catalogue in JSON format')}.</p>",
    ]
    if any(edition["simulated"] or _any_simulated(edition["earlier_revisions"]) for edition in editions):
        parts.append(
            '<p class="notice"><strong>Simulated data.</strong> Editions marked as built from simulated '
            "data were made from a simulated register, not from the Care Inspectorate's register of care "
            "services. They show what the files look like; do not use them as information about any care "
            "service.</p>"
        )
    parts.append("<h2>Latest edition</h2>")
    if latest:
        parts += _edition_section(latest[0], level=3)
    else:
        parts.append("<p>No edition has been published yet.</p>")
    parts.append("<h2>Year-end snapshots</h2>")
    if snapshots:
        for edition in snapshots:
            parts.append(f"<h3>{_text(_long_date(edition['as_at']))}</h3>")
            parts += _edition_section(edition, level=4)
    else:
        parts.append("<p>No year-end snapshot has been published yet.</p>")
    if content.get("statistics"):
        parts.append("<h2>Statistics from the annual returns</h2>")
        for published in content["statistics"]:
            parts += _statistics_section(published)
    parts += _licence_and_contact(content)
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")


def _any_simulated(revisions: list[dict[str, Any]]) -> bool:
    return any(revision["simulated"] for revision in revisions)


def _text(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _link(link: str, words: str) -> str:
    """A link whose words say what it leads to; the address quoted for a URL, then escaped for HTML."""
    return f'<a href="{_text(quote(link))}">{_text(words)}</a>'


def _long_date(stamp: str) -> str:
    day = dt.date.fromisoformat(stamp)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def human_size(size: int) -> str:
    """A file's size as a reader judges a download by: 512 bytes, 14 KB, 2.1 MB (powers of 1000)."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    if size < 999_500:
        return f"{size / 1e3:.0f} KB"
    if size < 999_950_000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.1f} GB"


def _download(file: dict[str, Any], words: str) -> str:
    """A file's link, its words ending with its format and size, and its sha256 beneath it."""
    return _link(file["link"], f"{words} ({human_size(file['bytes'])})") + _checksum(file["sha256"])


def _manifest_link(manifest: dict[str, Any], words: str) -> str:
    """A manifest's link and its sha256 (the manifest does not list its own size)."""
    return _link(manifest["link"], words) + _checksum(manifest["sha256"])


def _checksum(sha256: str) -> str:
    return f'<span class="checksum">SHA-256 <code>{_text(sha256)}</code></span>'


def _row(header: str, cell: str) -> str:
    return f'<tr><th scope="row">{_text(header)}</th><td>{cell}</td></tr>'


def _simulated_notice(what: str) -> str:
    return (
        f'<p class="notice"><strong>Built from simulated data.</strong> {_text(what)} was made from a '
        "simulated register, not the real one: do not use it as information about any care service.</p>"
    )


def _edition_section(edition: dict[str, Any], level: int) -> list[str]:
    """An edition's table (its files, rows, source and revision) and the table of its earlier revisions."""
    date = _long_date(edition["as_at"])
    snapshot = edition["kind"] == YEAR_END_SNAPSHOT
    kind = "year-end snapshot" if snapshot else "monthly edition"
    described = "Year-end snapshot as at 31 March, kept for good" if snapshot else "Monthly edition"
    name = f"Datastore {date}"
    parts = [_simulated_notice(f"The edition as at {date}")] if edition["simulated"] else []
    rows = [
        _row("Edition date", _text(date)),
        _row("Kind", _text(described)),
        _row("Services listed", _text(_count(edition["row_count"]))),
        _row("CSV", _optional(edition["csv"], f"{name}, CSV")),
        _row("Excel workbook", _optional(edition["workbook"], f"{name}, Excel workbook")),
        _row(
            "Changes since the previous edition",
            _optional(edition["changes"], f"Changes since the previous edition, {date}, CSV"),
        ),
        _row("Data package", _optional(edition["data_package"], f"Data package of {name}, JSON")),
        _row("Manifest", _manifest_link(edition["manifest"], f"Manifest of {name}, JSON")),
        _row("Built from", _text(_source(edition))),
    ]
    if snapshot:
        revision = edition["revision"]
        rows.append(_row("Revision", _text(f"Revision {revision['number']} (current). {_reason(revision)}")))
    parts += [
        "<table>",
        f"<caption>{_text(name)}: {_text(kind)}</caption>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
    ]
    if edition["earlier_revisions"]:
        parts += _earlier_revisions(edition, date, level)
    return parts


def _count(rows: int | None) -> str:
    if rows is None:
        return "Not stated in the manifest"
    return "1 service" if rows == 1 else f"{rows:,} services"


def _optional(file: dict[str, Any] | None, words: str) -> str:
    return _download(file, words) if file else "Not published for this edition."


def _source(edition: dict[str, Any]) -> str:
    if edition["simulated"]:
        return "Simulated data, not the Care Inspectorate's register"
    extract = edition["register_extract_date"]
    if extract is None:
        return "The Care Inspectorate's register of care services"
    return f"The Care Inspectorate's register as extracted on {_long_date(extract)}"


def _reason(revision: dict[str, Any]) -> str:
    """Why a revision was published, as its manifest says; the first needs no reason."""
    if revision["reason"]:
        return revision["reason"]
    return "As first published." if revision["number"] == 1 else "No reason stated."


FILE_WORDS = (  # how a file of a revision is described, by the start and end of its name
    ("datastore_", ".csv", "CSV"),
    ("datastore_", ".xlsx", "Excel workbook"),
    ("definitions_", ".csv", "column definitions, CSV"),
    ("changes_", ".csv", "changes since the previous edition, CSV"),
    ("quality_", ".json", "quality report, JSON"),
    ("quality_", ".html", "quality report, web page"),
    (DatastoreEdition.DATAPACKAGE, "", "data package, JSON"),
)


def _file_words(name: str) -> tuple[int, str]:
    """A revision's file as its link describes it, with its place in the list (data first, manifest last)."""
    for place, (start, end, words) in enumerate(FILE_WORDS):
        if name.startswith(start) and name.endswith(end):
            return place, words
    return len(FILE_WORDS), name


def _earlier_revisions(edition: dict[str, Any], date: str, level: int) -> list[str]:
    """The replaced revisions of a snapshot, newest first: why each was published, and all its files."""
    parts = [
        f"<h{level}>Earlier revisions of {_text(date)}</h{level}>",
        "<p>Each was replaced by a later revision and is kept whole, with its own manifest.</p>",
        "<table>",
        f"<caption>Earlier revisions of the year-end snapshot as at {_text(date)}</caption>",
        '<thead><tr><th scope="col">Revision</th><th scope="col">Why it was published, and its files</th>'
        "</tr></thead>",
        "<tbody>",
    ]
    for revision in edition["earlier_revisions"]:
        label = f"Datastore {date}, revision {revision['number']}"
        files = sorted(revision["files"], key=lambda file: (_file_words(file["name"]), file["name"]))
        links = [_download(file, f"{label}, {_file_words(file['name'])[1]}") for file in files]
        links.append(_manifest_link(revision["manifest"], f"{label}, manifest, JSON"))
        notice = _simulated_notice(label) if revision["simulated"] else ""
        words = _text(_reason(revision))
        parts.append(
            f'<tr><th scope="row">Revision {revision["number"]}</th><td>{notice}<p>{words}</p>'
            f"<ul>{''.join(f'<li>{link}</li>' for link in links)}</ul></td></tr>"
        )
    parts += ["</tbody>", "</table>"]
    return parts


def _statistics_section(published: dict[str, Any]) -> list[str]:
    """A return year's statistics: its heading, then the bulletin, the spreadsheet and each table's CSV."""
    date = _long_date(published["describes"])
    parts = [f"<h3>{_text(published['title'])}, {_text(date)}</h3>"]
    if published["simulated"]:
        parts.append(_simulated_notice(f"The publication of the {published['return_year']} returns"))
    rows = [_row("Describes", _text(f"Care services on {date}, from the {published['return_year']} returns"))]
    if published["bulletin"]:
        rows.append(_row("Bulletin", _download(published["bulletin"], "Bulletin with charts, HTML")))
    if published["workbook"]:
        rows.append(_row("Spreadsheet", _download(published["workbook"], "Every table, Excel spreadsheet")))
    rows += [_row("Table", _download(table, f"{table['title']}, CSV")) for table in published["tables"]]
    rows.append(_row("Manifest", _manifest_link(published["manifest"], "Manifest with every file's SHA-256")))
    caption = f"Files of the statistics from the {published['return_year']} returns"
    return [
        *parts,
        "<table>",
        f"<caption>{_text(caption)}</caption>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
    ]


def _licence_and_contact(content: dict[str, Any]) -> list[str]:
    publisher, licence = content["publisher"], content["licence"]
    email = publisher["email"]
    return [
        "<h2>Licence</h2>",
        f"<p>{_text(publisher['name'])} publishes these files under the "
        f'<a href="{_text(licence["url"])}">{_text(licence["name"])}</a>: you may copy, publish, adapt '
        f"and use them, provided you acknowledge the source. Source: {_text(content['source'])}</p>",
        "<h2>Contact</h2>",
        f"<p>{_text(publisher['name'])} {_text(publisher['team'])}: e-mail "
        f'<a href="mailto:{_text(email)}">{_text(email)}</a>, telephone {_text(publisher["phone"])}. '
        f'Website: <a href="{_text(publisher["website"])}">{_text(publisher["name"])} website</a>.</p>',
    ]
