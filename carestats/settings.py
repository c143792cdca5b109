"""Settings from CARESTATS_* environment variables: the one switch between local and production.

Local (the default): the lake is ./data and Prefect runs embedded. Production: CARESTATS_LAKE is an
s3:// URL and PREFECT_API_URL points at the Prefect server; credentials come from the environment
(or the instance role), never from code.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from carestats.errors import BadInputError


class Settings(BaseSettings):
    """What differs between a local and a production run, each from its CARESTATS_* environment variable."""

    model_config = SettingsConfigDict(env_prefix="CARESTATS_", extra="ignore")

    environment: Literal["local", "production"] = "local"
    lake: str = Field(default="./data", description="Folder path, or s3://bucket/prefix")
    s3_server_side_encryption: str | None = Field(
        default="AES256", description="SSE applied to every object written to an S3 lake; empty to disable"
    )
    timezone: str = "Europe/London"
    late_extract_days: int = Field(
        default=45,
        description="An edition built from an extract taken more than this many days after its date is "
        "marked as taken late in its manifest and run summary (a rebuild of an old edition)",
    )
    return_windows: str | None = Field(
        default=None,
        description="The annual-return collection windows (YAML file); default: the project's own",
    )
    keep_monthly_editions: int | None = Field(
        default=None,
        ge=1,
        description="How many of the newest monthly Datastore editions stay published; older ones are "
        "removed after each publication. Year-end snapshots always stay. Default: every edition",
    )
    backfill_workers: int = Field(
        default=2, ge=1, description="How many editions a backfill builds at once (one per core suits most)"
    )
    backfill_dask_address: str | None = Field(
        default=None,
        description="The address of a Dask scheduler (e.g. tcp://dask-scheduler:8786) the backfill sends its "
        "editions to; 'local' starts a local Dask cluster of backfill_workers workers; default: a thread "
        "pool on this machine",
    )
    sssc_target: str | None = Field(
        default=None,
        description="Where the SSSC staffing extract is delivered: s3://bucket/prefix (AWS_ENDPOINT_URL_S3 "
        "for a non-AWS endpoint) or a folder; default: deliveries/sssc in the lake",
    )
    sssc_pseudonym_key: SecretStr | None = Field(
        default=None,
        description="The key of the SSSC pseudonyms (at least 32 characters), for local runs; production "
        "reads the Prefect Secret block named by sssc_key_block instead",
    )
    sssc_key_block: str = Field(
        default="sssc-pseudonym-key", description="The Prefect Secret block holding the pseudonym key"
    )
    edition_lock_wait_seconds: float = Field(
        default=1800,
        ge=0,
        description="How long a run waits for another run publishing the same edition to finish before it "
        "is refused (two runs of one edition never interleave)",
    )
    work_pool: str | None = Field(
        default=None,
        description="The work pool `carestats deploy` puts every deployment on; default: prefect.yaml's "
        "(carestats-process, made as a process pool if missing). Another pool (Kubernetes) must exist first",
    )
    alert_block: str = Field(
        default="carestats-alerts",
        description="The Prefect notification block (a custom webhook) alerts are sent through",
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="Where alerts are posted; `carestats deploy` writes it into the alert block. Without it "
        "the block must already exist (made in the UI or by an administrator)",
    )


def get_settings() -> Settings:
    """The settings as the environment holds them now: read afresh on every call, never cached."""
    return Settings()


def last_month_end(today: dt.date | None = None) -> dt.date:
    """The most recent month end before `today` (default: the real today): the default edition date, the
    month end before another, and the month an extract taken on `today` is for."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the month `day` is in."""
    return last_month_end(day.replace(day=28) + dt.timedelta(days=4))


def is_month_end(day: dt.date) -> bool:
    """True on the last day of a month: the only dates an edition or an extract series is made for."""
    return (day + dt.timedelta(days=1)).day == 1


YEAR_END = (3, 31)  # the financial year ends on 31 March: that edition is the year's snapshot


def is_year_end(day: dt.date) -> bool:
    """True on 31 March: the edition as at that day is also the year-end snapshot, kept for good."""
    return (day.month, day.day) == YEAR_END


def require_past_month_end(day: dt.date, what: str = "edition date", today: dt.date | None = None) -> dt.date:
    """`day` itself when it is a month end not after today; otherwise a BadInputError in one line.

    Editions describe the register at a month end that has happened: 2025-08-30 or next month's end
    would silently publish something nobody asked for, so they are refused before any work starts.
    """
    today = today or dt.date.today()
    if not is_month_end(day):
        raise BadInputError(f"{what} {day} is not a month end (did you mean {month_end(day)}?)")
    if day > today:
        raise BadInputError(f"{what} {day} is after today ({today}): the month has not ended")
    return day
