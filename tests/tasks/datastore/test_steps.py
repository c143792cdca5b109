import datetime as dt
import hashlib
import json

from tasks.datastore.steps import Edition, extract_age, render_edition_files, with_edition_manifest
from tasks.register.steps import ExtractRef
from tasks.shared.publication import sha256_by_file
from tests.support.editions import AS_AT, synthetic_typed_edition

EXTRACT = ExtractRef(dt.date(2025, 9, 3), (("services.csv", "0" * 64),))


def test_the_manifest_is_computed_last_over_every_published_file():
    edition = Edition(AS_AT, synthetic_typed_edition(20, seed=5), {"Manager_Name": 20})
    rendered = render_edition_files.fn(edition, None)
    assert sorted(rendered.files) == [
        "changes_2025-08-31.csv",
        "datastore_2025-08-31.csv",
        "definitions_2025-08-31.csv",
    ]
    assert rendered.csv_sha256 == hashlib.sha256(rendered.files["datastore_2025-08-31.csv"]).hexdigest()
    published = with_edition_manifest(rendered, EXTRACT, {"quality.json": b"{}", "book.xlsx": b"PK"})
    manifest = json.loads(published.files["manifest.json"])
    assert sorted(manifest["files"]) == sorted(set(published.files) - {"manifest.json"})
    assert manifest["files"]["quality.json"] == {"sha256": hashlib.sha256(b"{}").hexdigest(), "bytes": 2}
    assert manifest["row_count"] == 20 and manifest["withheld_cells"] == {"Manager_Name": 20}
    by_type = edition.frame["CareService"].value_counts()
    assert manifest["rows_by_care_service"] == {name: int(by_type[name]) for name in sorted(by_type.index)}
    assert manifest["register_extract"] == {
        "extract_date": "2025-09-03",
        "files_sha256": {"services.csv": "0" * 64},
        "days_after_edition": 3,
        "taken_late": False,
    }


def test_digests_are_read_back_from_the_manifest_and_match_the_bytes():
    edition = Edition(AS_AT, synthetic_typed_edition(10, seed=6), {})
    published = with_edition_manifest(render_edition_files.fn(edition, None), EXTRACT, {"extra.json": b"[]"})
    assert sha256_by_file(published.files) == {
        name: hashlib.sha256(data).hexdigest() for name, data in sorted(published.files.items())
    }


def test_an_edition_rebuilt_from_an_extract_taken_long_after_its_date_is_marked_as_such(monkeypatch):
    late = ExtractRef(AS_AT + dt.timedelta(days=46), (("services.csv", "0" * 64),))
    on_the_limit = ExtractRef(AS_AT + dt.timedelta(days=45), (("services.csv", "0" * 64),))
    assert extract_age(late, AS_AT) == {"days_after_edition": 46, "taken_late": True}
    assert extract_age(on_the_limit, AS_AT) == {"days_after_edition": 45, "taken_late": False}
    monkeypatch.setenv("CARESTATS_LATE_EXTRACT_DAYS", "30")
    assert extract_age(on_the_limit, AS_AT)["taken_late"] is True
    rendered = render_edition_files.fn(Edition(AS_AT, synthetic_typed_edition(5, seed=1), {}), None)
    manifest = json.loads(with_edition_manifest(rendered, late, {}).files["manifest.json"])
    assert manifest["register_extract"]["taken_late"] is True
