"""The network's secret key for FHIR pseudonyms: where it lives, how it is checked.

Every FHIR id (Patient, Encounter, EpisodeOfCare, Practitioner, and an Organization that is not a
plain id) becomes HMAC-SHA256(key, "<Type>/<id>") before anything is stored. The key never enters
the warehouse. It is, in this order:

1. the environment variable ``OUTCOMES_NETWORK_KEY`` (at least 32 characters; its UTF-8 bytes), or
2. the file ``$XDG_CONFIG_HOME/massage-outcomes/network.key`` (default
   ``~/.config/massage-outcomes/network.key``): 64 hex digits, readable by its owner only (0600).
   It is created, with a new random key, the first time a warehouse without FHIR data receives a
   FHIR batch; a key file readable by others is refused.

The warehouse keeps only a fingerprint (HMAC of a fixed text) in ``audit.network_key`` and
compares it on every FHIR batch: a missing or different key is a clear error, never a silent
new set of patients. ``outcomes validate`` (a throw-away in-memory warehouse) uses the key when
there is one and otherwise a random one it forgets: nothing it computes is kept.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.errors import OutcomesError
from pipeline.warehouse import run, scalar

ENV = "OUTCOMES_NETWORK_KEY"
FINGERPRINT_TEXT = b"massage-outcomes network key fingerprint v1"
MIN_ENV_CHARS = 32


def key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "massage-outcomes" / "network.key"


def fingerprint(key: bytes) -> str:
    return hmac.new(key, FINGERPRINT_TEXT, hashlib.sha256).hexdigest()


def pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer pads (RFC 2104, SHA-256 block of 64 bytes) for sql/fhir/macro_pseudonym."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _read_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise OutcomesError(f"the network key {path} is readable by other users; make it private "
                                f"(chmod 600 {path}) and run again")
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise OutcomesError(f"the network key {path} cannot be read "
                            f"({getattr(exc, 'strerror', None) or exc.__class__.__name__})") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise OutcomesError(f"the network key {path} is not 64 hex digits; restore the network's key file")
    return key


def _create_file(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex() + "\n")
    except FileExistsError:
        return _read_file(path)
    except OSError as exc:
        raise OutcomesError(f"cannot create the network key {path} ({exc.strerror})") from None
    return key


def _configured() -> tuple[bytes | None, str]:
    value = os.environ.get(ENV)
    if value is not None:
        if len(value) < MIN_ENV_CHARS:
            raise OutcomesError(f"{ENV} is shorter than {MIN_ENV_CHARS} characters; give the network's key")
        return value.encode("utf-8"), f"the environment variable {ENV}"
    path = key_path()
    return (_read_file(path) if path.exists() else None), str(path)


def _in_memory(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
    return not rows or rows[0][0] is None


def network_key(con: duckdb.DuckDBPyConnection) -> tuple[bytes, str | None]:
    """The key to pseudonymise with, checked against the warehouse; and the fingerprint to record at
    its first use (None when the warehouse already has it). Raises OutcomesError in plain words."""
    key, where = _configured()
    known = scalar(con, "fhir/key_fingerprint")
    if key is None:
        if known:
            raise OutcomesError(
                f"the network key is missing (no {ENV}, no {where}): this warehouse's FHIR patients were "
                "pseudonymised with a key whose fingerprint is in audit.network_key; restore that key "
                "(a new one would make every patient a new one)")
        if _in_memory(con):
            return secrets.token_bytes(32), None  # validate: nothing is kept
        key = _create_file(key_path())
    mark = fingerprint(key)
    if known and known != mark:
        raise OutcomesError(
            f"the network key from {where} is not the one this warehouse's FHIR pseudonyms were made with "
            "(its fingerprint differs from audit.network_key); use the network's key")
    return key, None if known else mark


def record_first_use(con: duckdb.DuckDBPyConnection, mark: str | None) -> None:
    if mark:
        run(con, "fhir/key_insert", {"fingerprint": mark,
                                     "first_used_at": datetime.now(timezone.utc).replace(tzinfo=None)})
