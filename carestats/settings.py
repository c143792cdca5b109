"""Settings from CARESTATS_* environment variables: the one switch between local and production.

Local (the default): the lake is ./data and Prefect runs embedded. Production: CARESTATS_LAKE is an
s3:// URL and PREFECT_API_URL points at the Prefect server; credentials come from the environment
(or the instance role), never from code.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What differs between a local and a production run, each from its CARESTATS_* environment variable."""

    model_config = SettingsConfigDict(env_prefix="CARESTATS_", extra="ignore")

    environment: Literal["local", "production"] = "local"
    lake: str = Field(default="./data", description="Folder path, or s3://bucket/prefix")
    s3_server_side_encryption: str | None = Field(
        default="AES256", description="SSE applied to every object written to an S3 lake; empty to disable"
    )
    timezone: str = "Europe/London"


def get_settings() -> Settings:
    """The settings as the environment holds them now: read afresh on every call, never cached."""
    return Settings()


def last_month_end(today: dt.date | None = None) -> dt.date:
    """The most recent month end before today: the default edition date."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)
