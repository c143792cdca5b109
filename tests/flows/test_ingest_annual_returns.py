import contextvars
import datetime as dt
import json
import threading

import pytest

from flows.ingest_annual_returns import annual_returns_status, ingest_annual_returns
from flows.publish_datastore import publish_monthly_datastore
from tasks.annual_returns.steps import load_store
from tasks.shared.lake import open_lake
from tasks.shared.lake_map import AnnualReturns, DatastoreEdition
from tests.support.extracts import service, write_extract
from tests.support.returns import childminder_row, export_csv, return_row

pytestmark = pytest.mark.usefixtures("prefect_harness")

YEAR = AnnualReturns(2026)
HOME_A, HOME_B, MINDER, LATE_HOME, SILENT, OPTIONAL, GONE = (
    "CS2002000001",
    "CS2002000002",
    "CS2010000003",
    "CS2003000004",
    "CS2004000005",
    "CS2025000006",
    "CS2001000007",
)


def register(lake, extract_date="2026-03-03"):
    services = [
        service(HOME_A, NumberStaff="35.5", SP_number="SP2003000001", ServiceProvider="Ashgrove Care Ltd"),
        service(
            HOME_B,
            ServiceName="Birchwood",
            NumberStaff="20",
            SP_number="SP2003000001",
            ServiceProvider="Ashgrove Care Ltd",
        ),
        service(
            MINDER,
            CareService="Child Minding",
            Subtype="",
            ServiceName="Jane Doe",
            Registered_Places="6",
            NumberStaff="1",
            SP_number="SP2010000003",
            ServiceProvider="Jane Doe",
            Council_Area_Name="Fife",
            Health_Board_Name="Fife",
            Eforms_email_address="jane@example.org",
        ),
        service(
            LATE_HOME,
            ServiceName="Larchfield",
            NumberStaff="12",
            SP_number="SP2003000004",
            ServiceProvider="Larch Ltd",
        ),
        service(
            SILENT,
            ServiceName="Silverbirch",
            NumberStaff="8",
            SP_number="SP2004000005",
            ServiceProvider="Silver Ltd",
            Eforms_email_address="silver@example.org",
            Contact_Email="office@silver.example.org",
        ),
        service(
            OPTIONAL,
            ServiceName="Oakwood",
            Date_Registered="2025-11-01",
            SP_number="SP2025000006",
            ServiceProvider="Oak Ltd",
        ),
        service(GONE, ServiceName="Gone House", Date_Cancelled="2025-06-30", ServiceStatus="Inactive"),
    ]
    write_extract(lake, extract_date, services=services)


def land(lake, name, data):
    open_lake(lake).write_bytes(f"{YEAR.landing}/{name}", data)


@pytest.fixture
def lake(tmp_path):
    """A lake with a register extract and four export files landed, none ingested yet."""
    return landed_lake(str(tmp_path / "lake"))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The same lake ingested once as at 2 March 2026, shared by the tests that only read it."""
    location = landed_lake(str(tmp_path_factory.mktemp("ingested") / "lake"))
    return location, ingest(location)


def landed_lake(location):
    register(location)
    land(
        location,
        "annual_returns_2026-01-20.csv",
        export_csv(
            [
                return_row(HOME_A, 1, Submitted_At="2026-01-20T10:00:00"),
                childminder_row(MINDER, 2, Submitted_At="2026-01-20T11:00:00"),
                return_row(GONE, 3, Submitted_At="2026-01-20T12:00:00"),  # cancelled before 31 December
            ]
        ),
    )
    land(
        location,
        "annual_returns_2026-02-16.csv",
        export_csv(
            [
                return_row(HOME_B, 4, Submitted_At="2026-02-16T09:00:00", Care_Staff_WTE="2"),
                return_row(
                    HOME_A,
                    5,
                    Submitted_At="2026-02-16T10:00:00",
                    Care_Staff_Headcount="3",
                    Care_Staff_WTE="3",
                ),
                return_row(
                    HOME_B, 4, Submitted_At="2026-02-16T09:00:00", Care_Staff_WTE="2"
                ),  # duplicate row
            ]
        ),
    )
    land(
        location,
        "annual_returns_2026-02-20.csv",
        export_csv(
            [
                return_row(LATE_HOME, 6, Submitted_At="2026-02-20T09:00:00"),
                return_row(HOME_B, 7, Submitted_At="2026-02-20T09:30:00", Care_Staff_Headcount="abc"),
            ]
        ),
    )
    land(location, "annual_returns_2026-02-21.xlsx", b"this is not a spreadsheet")
    return location


def ingest(lake, as_at="2026-03-02"):
    return ingest_annual_returns(return_year=2026, lake=lake, as_at=dt.date.fromisoformat(as_at))


def store_files(lake):
    store = open_lake(lake)
    return {key: store.read_bytes(key) for key in store.list_keys(YEAR.store_area)}


def test_every_row_received_ends_in_exactly_one_place(ingested):
    lake, summary = ingested
    assert summary["counts"] == {
        "files": 4,
        "files_unreadable": 1,
        "received": 8,
        "accepted": 5,
        "quarantined": 3,
        "current": 4,
        "superseded": 1,
        "late": 1,
        "missing": 1,
    }
    store = load_store(lake, 2026)
    current = store.loc[store["Current"] == "Yes"].set_index("CSNumber")
    assert sorted(current.index) == sorted([HOME_A, HOME_B, MINDER, LATE_HOME])
    assert current.loc[HOME_A, "Return_ID"] == "AR2026-0000005"  # the amendment counts
    assert current.loc[HOME_A, "Total_WTE"] == 4.0
    assert current.loc[LATE_HOME, "Late"] == "Yes"
    superseded = store.loc[store["Current"] == "No"]
    assert superseded["Return_ID"].tolist() == ["AR2026-0000001"]
    accounting = json.loads(open_lake(lake).read_bytes(f"{YEAR.store}/accounting.json"))
    assert (
        accounting["received"] == accounting["current"] + accounting["superseded"] + accounting["quarantined"]
    )


def test_quarantine_names_file_line_field_value_and_rule_and_keeps_the_file(ingested):
    lake, _ = ingested
    store = open_lake(lake)
    folders = {key.split("/")[3] for key in store.list_keys("quarantine/annual-returns/2026")}
    assert {f.rsplit("-", 1)[0] for f in folders} == {
        "annual_returns_2026-01-20.csv",
        "annual_returns_2026-02-16.csv",
        "annual_returns_2026-02-20.csv",
        "annual_returns_2026-02-21.xlsx",
    }
    problems = {}
    for key in store.list_keys("quarantine/annual-returns/2026"):
        if key.endswith("problems.json"):
            report = json.loads(store.read_bytes(key))
            problems[report["file"]] = report["problems"]
            copy = key.replace("problems.json", report["file"])
            assert store.read_bytes(copy) == store.read_bytes(f"{YEAR.landing}/{report['file']}")
    [gone] = problems["annual_returns_2026-01-20.csv"]
    assert (gone["line"], gone["field"], gone["value"]) == (4, "CSNumber", GONE)
    assert gone["message"].startswith("rule: registered_at_year_end")
    [duplicate] = problems["annual_returns_2026-02-16.csv"]
    assert (duplicate["line"], duplicate["message"]) == (
        4,
        "duplicate: this return was already received at line 2 of this file",
    )
    [text] = [p for p in problems["annual_returns_2026-02-20.csv"] if p["field"] == "Care_Staff_Headcount"]
    assert (text["line"], text["field"], text["value"]) == (3, "Care_Staff_Headcount", "abc")
    [unreadable] = problems["annual_returns_2026-02-21.xlsx"]
    assert unreadable["file"] == "annual_returns_2026-02-21.xlsx" and unreadable["line"] is None


def test_every_file_received_is_kept_raw_under_its_checksum(ingested):
    lake, _ = ingested
    store = open_lake(lake)
    for key in store.list_keys(YEAR.landing):
        data = store.read_bytes(key)
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        assert store.read_bytes(YEAR.received(digest, key.rsplit("/", 1)[1])) == data


def test_a_rerun_ingests_nothing_again_and_rewrites_nothing(lake):
    ingest(lake)
    before = store_files(lake)
    again = ingest(lake)
    assert again["files"] == {"new": 0, "already_ingested": 4}
    assert store_files(lake) == before


def test_a_changed_file_under_the_same_name_is_a_new_version(lake):
    ingest(lake)
    land(
        lake,
        "annual_returns_2026-02-20.csv",
        export_csv(
            [
                return_row(LATE_HOME, 6, Submitted_At="2026-02-20T09:00:00"),
                return_row(HOME_B, 7, Submitted_At="2026-02-20T09:30:00"),
            ]
        ),
    )
    summary = ingest(lake)
    assert summary["files"] == {"new": 1, "already_ingested": 3}
    counts = summary["counts"]
    # the corrected row is accepted; the row already received from the first version is a duplicate
    assert (counts["received"], counts["current"], counts["superseded"], counts["quarantined"]) == (
        10,
        4,
        2,
        4,
    )


def test_a_run_that_crashed_midway_is_picked_up_with_no_loss_or_duplicate(lake):
    ingest(lake)
    complete = store_files(lake)
    store = open_lake(lake)
    records = [k for k in store.list_keys(YEAR.ingested) if k.endswith(".json")]
    store.delete_folder(YEAR.store)
    for record in records[:2]:  # the crash came after these files' rows were written, before their records
        (store.root / record).unlink()
    summary = ingest(lake)
    assert summary["files"] == {"new": 2, "already_ingested": 2}
    assert store_files(lake) == complete


def test_concurrent_runs_ingest_each_file_once(lake):
    results, errors = [], []

    def run():
        try:
            results.append(ingest(lake))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    # each thread runs in a copy of this context, so it talks to the same Prefect API as the test
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(run,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = load_store(lake, 2026)
    assert store["Return_ID"].is_unique
    assert len(store) == 5
    final = ingest(lake)
    assert final["files"]["new"] == 0
    assert final["counts"]["received"] == 8


def test_compliance_lists_who_must_submit_and_has_not_with_reminders(ingested):
    lake, _ = ingested
    status = annual_returns_status(return_year=2026, lake=lake, as_at=dt.date(2026, 2, 1))
    assert status["counts"]["missing"] == 3  # HOME_B, LATE_HOME and SILENT had not submitted on 1 February
    assert status["compliance"]["mandatory"] == 5
    assert status["compliance"]["optional"] == 1
    store = open_lake(lake)
    reminders = store.read_bytes(YEAR.reminders(dt.date(2026, 2, 1))).decode()
    assert "office@silver.example.org" in reminders and "CS2004000005 Silverbirch" in reminders
    closing = annual_returns_status(return_year=2026, lake=lake, as_at=dt.date(2026, 3, 2))
    assert closing["counts"]["missing"] == 1
    by_service = store.read_bytes(YEAR.compliance(dt.date(2026, 3, 2))).decode().splitlines()
    assert [line for line in by_service if ",Yes," in line and SILENT in line]


def test_numberstaff_comes_from_the_latest_return_by_the_edition_date_and_stays_put(lake):
    ingest(lake)
    write_extract(
        lake, "2026-02-03", services=[service(HOME_A, NumberStaff="35.5"), service(HOME_B, NumberStaff="20")]
    )
    january = publish_monthly_datastore(as_at=dt.date(2026, 1, 31), lake=lake, workbook=False)
    place = DatastoreEdition(dt.date(2026, 1, 31))
    text = open_lake(lake).read_bytes(f"{place.folder}/{place.csv}").decode("cp1252")
    staff = {line.split(",")[0]: line for line in text.splitlines()[1:]}
    assert ",2.5," in staff[HOME_A]  # its January return: 1 manager + 1.5 care staff
    assert ",20," in staff[HOME_B]  # no return accepted by 31 January: the register's figure
    manifest = json.loads(open_lake(lake).read_bytes(f"{place.folder}/manifest.json"))
    assert manifest["number_staff_from_annual_returns"]["services_with_a_return"] == 2  # HOME_A, MINDER
    # A later amendment and a late return do not change the January edition when it is rebuilt.
    land(
        lake,
        "annual_returns_2026-02-25.csv",
        export_csv([return_row(HOME_A, 8, Submitted_At="2026-02-25T09:00:00", Care_Staff_WTE="2")]),
    )
    ingest(lake)
    before = dict(january["files"])
    again = publish_monthly_datastore(as_at=dt.date(2026, 1, 31), lake=lake, workbook=False)
    assert again["files"] == before and again["changed"] is False
