"""The SSSC pseudonym: a keyed HMAC-SHA256 of a service's CS number.

The same key gives a service the same pseudonym every year, so the SSSC can follow it; without the key
nobody can compute a pseudonym from a CS number, and another key gives unrelated ones. The key is read
from the environment (local runs) or a Prefect Secret block (production), only where pseudonyms are
made: it is never a task's parameter, a log line, an artifact or an output.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from carestats.errors import MissingInputError
from carestats.settings import get_settings

MIN_KEY_LENGTH = 32


class PseudonymKeyError(MissingInputError):
    """No pseudonym key, or one too short to keep pseudonyms from being guessed: nothing can be shared."""


def pseudonyms(cs_numbers: pd.Series, key: bytes) -> pd.Series:
    """Each CS number's pseudonym: the hex HMAC-SHA256 of the number under the key."""
    return pd.Series(
        [hmac.new(key, str(cs).encode(), hashlib.sha256).hexdigest() for cs in cs_numbers],
        index=cs_numbers.index,
        dtype="string",
    )


def pseudonym_key() -> bytes:
    """The key: CARESTATS_SSSC_PSEUDONYM_KEY when set, else the Prefect Secret block the settings name.

    Refused when missing or shorter than MIN_KEY_LENGTH characters (a short key could be found by trying).
    """
    settings = get_settings()
    if settings.sssc_pseudonym_key is not None:
        key, source = settings.sssc_pseudonym_key.get_secret_value(), "CARESTATS_SSSC_PSEUDONYM_KEY"
    else:
        key, source = (
            _key_from_block(settings.sssc_key_block),
            f"the Secret block {settings.sssc_key_block!r}",
        )
    if len(key) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the SSSC pseudonym key from {source} has {len(key)} characters; it needs at least "
            f"{MIN_KEY_LENGTH} (make one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key.encode()


def _key_from_block(name: str) -> str:
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(name, validate=False).get())
    except ValueError as missing:
        raise PseudonymKeyError(
            f"no SSSC pseudonym key: set CARESTATS_SSSC_PSEUDONYM_KEY, or create the Prefect Secret block "
            f"{name!r} (see the README)"
        ) from missing
