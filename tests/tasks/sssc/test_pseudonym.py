import hashlib
import hmac

import pandas as pd
import pytest

from tasks.sssc.pseudonym import PseudonymKeyError, pseudonym_key, pseudonyms

KEY = b"k" * 40
OTHER = b"o" * 40
SERVICES = pd.Series(["CS2002000001", "CS2010000003", "CS2003000004"])


def test_a_pseudonym_is_the_hmac_sha256_of_the_cs_number_under_the_key():
    made = pseudonyms(SERVICES, KEY)
    assert made.iloc[0] == hmac.new(KEY, b"CS2002000001", hashlib.sha256).hexdigest()
    assert made.str.fullmatch(r"[0-9a-f]{64}").all()
    assert made.nunique() == len(SERVICES)


def test_the_same_key_gives_the_same_pseudonyms_in_any_year_and_order():
    again = pseudonyms(SERVICES.iloc[::-1].reset_index(drop=True), KEY)
    assert sorted(again) == sorted(pseudonyms(SERVICES, KEY))


def test_another_key_gives_unrelated_pseudonyms():
    mine, theirs = pseudonyms(SERVICES, KEY), pseudonyms(SERVICES, OTHER)
    assert not set(mine) & set(theirs)
    # Unrelated: no shared prefix longer than chance would give, and not the plain hash of the number.
    assert all(a[:6] != b[:6] for a, b in zip(mine, theirs, strict=True))
    assert hashlib.sha256(b"CS2002000001").hexdigest() not in set(mine) | set(theirs)


def test_the_key_comes_from_the_environment_in_local_runs(monkeypatch):
    monkeypatch.setenv("CARESTATS_SSSC_PSEUDONYM_KEY", "x" * 32)
    assert pseudonym_key() == b"x" * 32


def test_a_short_key_is_refused_in_one_line_without_showing_it(monkeypatch):
    monkeypatch.setenv("CARESTATS_SSSC_PSEUDONYM_KEY", "secret-but-short")
    with pytest.raises(PseudonymKeyError) as refused:
        pseudonym_key()
    assert "at least 32" in str(refused.value)
    assert "secret-but-short" not in str(refused.value)


@pytest.mark.usefixtures("prefect_harness")
def test_without_the_environment_the_key_comes_from_the_secret_block(monkeypatch):
    from prefect.blocks.system import Secret

    monkeypatch.delenv("CARESTATS_SSSC_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("CARESTATS_SSSC_KEY_BLOCK", "sssc-key-test-block")
    Secret(value="b" * 48).save("sssc-key-test-block", overwrite=True)
    assert pseudonym_key() == b"b" * 48
    monkeypatch.setenv("CARESTATS_SSSC_KEY_BLOCK", "no-such-block")
    with pytest.raises(PseudonymKeyError, match="no-such-block"):
        pseudonym_key()
