"""The quality gate in the Datastore flow: a good edition publishes with its report, a bad one nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from flows.publish_datastore import publish_monthly_datastore
from tasks.shared.quality.gate import QualityGateError
from tests.support.extracts import service, write_extract

SERVICES = [service(f"CS20020000{n:02d}", ServiceName=f"Home {n}") for n in range(1, 21)]


@pytest.fixture
def published_august(prefect_harness, tmp_path):
    write_extract(tmp_path, "2025-09-03", services=SERVICES)
    summary = publish_monthly_datastore(as_at=dt.date(2025, 8, 31), lake=str(tmp_path))
    return tmp_path, summary


def test_good_edition_passes_and_is_published_with_its_quality_report(published_august):
    lake, summary = published_august
    folder = lake / "publish" / "datastore" / "2025-08-31"
    assert summary["quality"] == {"status": "passed", "warnings": []}
    report = json.loads((folder / "quality_2025-08-31.json").read_text())
    assert report["status"] == "passed" and report["rows"] == 20 and report["failures"] == []
    assert (
        "no previous edition"
        in {s["expectation"]: s["reason"] for s in report["skipped"]}["rule: row_count_drop"]
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"quality_2025-08-31.json", "quality_2025-08-31.html"} <= set(manifest["files"])
    assert (
        "<h1>Datastore edition 2025-08-31: quality report</h1>"
        in (folder / "quality_2025-08-31.html").read_text()
    )
    assert not (lake / "quality").exists()  # a published edition carries its report; nothing is kept aside


def test_corrupted_edition_is_blocked_and_the_previous_one_stays(published_august):
    lake, _ = published_august
    before = {p.relative_to(lake): p.read_bytes() for p in (lake / "publish").rglob("*") if p.is_file()}
    broken = [dict(s) for s in SERVICES[:18]]  # two services fewer: a 10% drop
    broken[4]["Registered_Places"] = ""  # a care home without places: line 6 of the edition
    write_extract(lake, "2025-10-03", services=broken)

    with pytest.raises(QualityGateError) as raised:
        publish_monthly_datastore(as_at=dt.date(2025, 9, 30), lake=str(lake))

    message = str(raised.value)
    assert "2 critical expectation(s) failed" in message
    assert "rule: registered_places_present [Registered_Places]: 1 row(s) fail; lines 6" in message
    assert "rule: row_count_drop: observed 18; expected at least 19" in message
    after = {p.relative_to(lake): p.read_bytes() for p in (lake / "publish").rglob("*") if p.is_file()}
    assert after == before  # nothing new visible, the August edition's bytes and latest.json unchanged
    blocked = lake / "quality" / "datastore" / "2025-09-30"
    report = json.loads((blocked / "quality_2025-09-30.json").read_text())
    assert report["status"] == "failed" and [f["lines"] for f in report["failures"]] == [[6], []]
    assert report["failures"][0]["rows"] == ["line 6: CS2002000005 Home 5"]
    assert str(blocked / "quality_2025-09-30.html") in message
    # The exact file the gate judged is kept beside its report, under the checksum the report names.
    judged = (blocked / "datastore_2025-09-30.csv").read_bytes()
    assert judged.decode("utf-8-sig").splitlines()[5].startswith("CS2002000005,")
    assert f"judged datastore_2025-09-30.csv (sha256 {hashlib.sha256(judged).hexdigest()})" in " ".join(
        report["notes"]
    )


def test_an_edition_built_from_another_register_is_blocked_though_its_size_barely_moved(published_august):
    lake, _ = published_august
    other = [service(f"CS20190000{n:02d}", ServiceName=f"Other {n}") for n in range(1, 21)]
    write_extract(lake, "2025-10-03", services=other)

    with pytest.raises(QualityGateError) as raised:
        publish_monthly_datastore(as_at=dt.date(2025, 9, 30), lake=str(lake))

    assert "1 critical expectation(s) failed" in str(raised.value)
    assert "across editions: service_was_in_previous_edition [CSNumber]: 20 row(s) fail" in str(raised.value)
    report = json.loads(
        (lake / "quality" / "datastore" / "2025-09-30" / "quality_2025-09-30.json").read_text()
    )
    assert "compared with the edition of 2025-08-31" in " ".join(report["notes"])
    assert not (lake / "publish" / "datastore" / "2025-09-30").exists()
