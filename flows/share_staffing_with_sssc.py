"""The SSSC share: the workforce part of a year's annual returns, anonymised, delivered through S3."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from carestats.collection import latest_closed_year
from carestats.settings import get_settings, last_month_end, require_past_month_end
from tasks.annual_returns import steps as returns
from tasks.shared.lake_map import SsscDelivery
from tasks.shared.orchestration import record_parameters
from tasks.shared.quality.gate import quality_gate
from tasks.sssc import steps as sssc


def share_run_name() -> str:
    """The run's name in the Prefect UI: the return year shared, e.g. sssc-share-2026."""
    from prefect.runtime import flow_run

    return f"sssc-share-{flow_run.parameters.get('return_year') or latest_closed_year()}"


@flow(name="share-staffing-with-sssc", flow_run_name=share_run_name, log_prints=True)
def share_staffing_with_sssc(
    return_year: int | None = None,
    lake: str | None = None,
    as_at: dt.date | None = None,
    k: int | None = None,
) -> dict:
    """Deliver the year's anonymised staffing to the SSSC (default: the latest year whose collection
    window has closed): the record-level extract, the aggregate tables and the disclosure report.

    as_at: the public Datastore edition the linkage check is run against (default: the last month end).
    k: the fewest services any released combination may hold (default: the data dictionary's).
    Run after the window closes, and again for a re-delivery: unchanged returns send nothing new.
    """
    return_year = return_year or latest_closed_year()
    as_at = require_past_month_end(as_at or last_month_end(), "public view date")
    record_parameters(return_year=return_year, as_at=as_at)
    lake = lake or get_settings().lake
    place = SsscDelivery(return_year)

    current = returns.load_current_returns(lake, return_year)
    register, register_extract = returns.load_register_services(lake)
    staff = returns.staff_from_returns(lake, as_at)
    share = sssc.anonymise_staffing(current, register, staff, return_year, as_at, k)
    report = sssc.validate(share)
    quality_gate(lake, report, place.quality_report)
    delivery = sssc.deliver(sssc.delivery_target(lake), return_year, share.files, share.facts)
    sssc.log_delivery(lake, delivery)
    sssc.report_share(share, delivery)

    return {
        "return_year": return_year,
        "public_view_as_at": as_at.isoformat(),
        "register_extract": register_extract.isoformat(),
        "delivery": delivery,
        "disclosure": share.report,
        "quality": report.status,
    }
