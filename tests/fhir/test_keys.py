"""The network key: created private on first use, outside the warehouse; a missing or changed key is a
clear error, never a new set of patients; the environment variable wins."""
from __future__ import annotations

import os
import stat

import pytest

from pipeline.errors import OutcomesError
from pipeline.fhir import keys

from tests.fhir import build as b
from tests.quality.conftest import open_warehouse, receive_and_stage


def test_the_key_is_created_private_and_only_its_fingerprint_is_stored(wh, tmp_path):
    receive_and_stage(wh, b.write(tmp_path / "c-2026-03", b.base()))
    path = keys.key_path()
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    key = bytes.fromhex(path.read_text().strip())
    (mark,) = wh.execute("select fingerprint from audit.network_key").fetchone()
    assert mark == keys.fingerprint(key) and path.read_text().strip() not in mark


def test_a_missing_key_is_an_error_not_new_patients(wh, tmp_path):
    receive_and_stage(wh, b.write(tmp_path / "c-2026-03", b.base()))
    keys.key_path().unlink()
    with pytest.raises(OutcomesError, match="the network key is missing"):
        receive_and_stage(wh, b.write(tmp_path / "c-2026-04", b.base(), extension={"export_id": "c-2026-04"}))
    assert not keys.key_path().exists()  # not silently re-created


def test_a_changed_key_is_an_error(wh, tmp_path, monkeypatch):
    receive_and_stage(wh, b.write(tmp_path / "c-2026-03", b.base()))
    monkeypatch.setenv(keys.ENV, "another network's secret key, long enough")
    with pytest.raises(OutcomesError, match="not the one this warehouse"):
        receive_and_stage(wh, b.write(tmp_path / "c-2026-04", b.base(), extension={"export_id": "c-2026-04"}))


def test_the_environment_key_pseudonymises_and_no_file_is_written(tmp_path, monkeypatch):
    secret = "the network's secret key from the environment"
    monkeypatch.setenv(keys.ENV, secret)
    con = open_warehouse(tmp_path / "env.duckdb")
    receive_and_stage(con, b.write(tmp_path / "c-2026-03", b.base()))
    import hashlib
    import hmac
    want = hmac.new(secret.encode(), b"Patient/p1", hashlib.sha256).hexdigest()
    assert con.execute("select count(*) from staging.sessions where patient_id = $p", {"p": want}).fetchone()[0] == 2
    assert not keys.key_path().exists()
    con.close()


def test_a_key_file_readable_by_others_is_refused(wh, tmp_path):
    receive_and_stage(wh, b.write(tmp_path / "c-2026-03", b.base()))
    os.chmod(keys.key_path(), 0o644)
    with pytest.raises(OutcomesError, match="readable by other users"):
        receive_and_stage(wh, b.write(tmp_path / "c-2026-04", b.base(), extension={"export_id": "c-2026-04"}))
