"""One network in shards by clinic (``outcomes run --shards N``, docs/aggregates.md).

Each batch folder belongs to one clinic (its manifest's ``clinic_id``, a FHIR manifest's
``extension.clinic_id``, else the most frequent clinic of its sessions file, as ingest finds
it), and a clinic to shard ``shard_of(clinic_id, N)``: a stable hash, so a clinic stays in its
shard from run to run and its episodes never cross shards. Shard K's inbox is
``<warehouse>.shards/inbox-K/`` (links to the batch folders, nothing copied) and its warehouse
``<warehouse>.shards/shard-K.duckdb``, so the shards never wait on one DuckDB writer lock. Each
shard runs intake to aggregates (the same assets as ``outcomes run``) and exports its
aggregates file; the merge (pipeline.aggregates.merge) then builds the warehouse's marts.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import duckdb

from pipeline import contract
from pipeline.errors import OutcomesError

SESSIONS_FILES = ("sessions.csv", "sessions.parquet")


def shard_of(clinic_id: str | None, shards: int) -> int:
    """The shard of a clinic: the first 8 bytes of sha256(clinic_id) mod ``shards`` (0 for none)."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    if not clinic_id:
        return 0
    return int.from_bytes(hashlib.sha256(clinic_id.encode("utf-8")).digest()[:8], "big") % shards


def _manifest_clinic(folder: Path) -> str | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(manifest, dict):
        return None
    extension = manifest.get("extension") if isinstance(manifest.get("extension"), dict) else {}
    value = manifest.get("clinic_id", extension.get("clinic_id"))
    return value if isinstance(value, str) and re.fullmatch(contract.CLINIC_ID_PATTERN, value) else None


def _sessions_clinic(folder: Path) -> str | None:
    """The most frequent clinic_id of the batch's sessions file (a batch without a manifest)."""
    for name in SESSIONS_FILES:
        path = folder / name
        if not path.is_file():
            continue
        reader = "read_parquet($p)" if name.endswith(".parquet") else "read_csv($p, header = true, all_varchar = true)"
        try:
            con = duckdb.connect()
            try:
                value = con.execute(f"select mode(clinic_id) from {reader}", {"p": str(path)}).fetchone()[0]
            finally:
                con.close()
        except duckdb.Error:
            return None  # an unreadable file: ingest rejects the batch with its reason, in shard 0
        return value if isinstance(value, str) and re.fullmatch(contract.CLINIC_ID_PATTERN, value) else None
    return None


def batch_clinic(folder: Path) -> str | None:
    """The clinic a batch folder comes from, as ingest will find it (None: unknown)."""
    return _manifest_clinic(folder) or _sessions_clinic(folder)


def batch_folders(inbox: Path) -> list[Path]:
    return sorted(p for p in Path(inbox).iterdir() if p.is_dir() and not p.name.startswith("."))


def assign(inbox: Path, shards: int) -> dict[int, list[Path]]:
    """shard -> its batch folders (every shard present, maybe empty)."""
    out: dict[int, list[Path]] = {k: [] for k in range(shards)}
    for folder in batch_folders(inbox):
        out[shard_of(batch_clinic(folder), shards)].append(folder)
    return out


def shard_dir(warehouse: Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".shards")


def shard_paths(warehouse: Path, k: int) -> dict[str, Path]:
    """Where shard ``k`` of the warehouse keeps its inbox, warehouse and aggregates file."""
    base = shard_dir(warehouse)
    return {"inbox": base / f"inbox-{k}", "warehouse": base / f"shard-{k}.duckdb",
            "aggregates": base / f"shard-{k}.aggregates.zip"}


def split_inbox(inbox: Path, warehouse: Path, shards: int) -> dict[int, int]:
    """Lay out each shard's inbox as links to its batch folders (the links of a batch that moved
    or left are removed); returns shard -> batches."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise OutcomesError(f"the inbox {inbox} does not exist" if not inbox.exists() else f"the inbox {inbox} is not a folder")
    plan = assign(inbox, shards)
    for k, folders in plan.items():
        target = shard_paths(warehouse, k)["inbox"]
        target.mkdir(parents=True, exist_ok=True)
        wanted = {f.name: f.resolve() for f in folders}
        for link in target.iterdir():
            if link.name not in wanted or not link.is_symlink() or Path(os.readlink(link)) != wanted[link.name]:
                link.unlink() if link.is_symlink() or link.is_file() else None
        for name, source in wanted.items():
            if not (target / name).exists():
                (target / name).symlink_to(source, target_is_directory=True)
    return {k: len(v) for k, v in plan.items()}
