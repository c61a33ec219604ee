"""The whole-batch checks of a FHIR Bulk Data batch (contract section 1), before any resource is read.

A batch folder is a FHIR batch when its ``manifest.json`` is a Bulk Data complete-status response
(``transactionTime``, ``request``, ``output: [{"type", "url", "count"}]``). Each output's file is
the last path segment of its ``url`` (a bare file name, or the name under which the download was
saved); a file listed but absent rejects the batch. ``count`` is compared with the file's lines
once they are read (pipeline/fhir/reader.py). The optional ``extension`` may carry ``clinic_id``
and ``export_id`` (the batch id; else the folder name).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from pipeline import contract

MANIFEST = "manifest.json"
RESOURCE_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
# The types the reader reads, each with its SQL (sql/fhir/read_*.sql); every other type is only counted.
READ_TYPES = {
    "Patient": "fhir/read_patients", "Encounter": "fhir/read_encounters", "Procedure": "fhir/read_procedures",
    "Observation": "fhir/read_observations", "Condition": "fhir/read_conditions",
    "Organization": "fhir/read_organizations", "Practitioner": "fhir/read_practitioners",
}


@dataclass
class Output:
    resource_type: str
    path: Path
    count: int | None
    sha256: str = ""


@dataclass
class FhirExport:
    """The manifest of a FHIR batch as checked, and (once read) what became of its resources."""
    transaction_time: str | None
    outputs: list[Output] = field(default_factory=list)
    outcomes: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    sessions: int = 0
    measurements: int = 0
    key_mark: str | None = None
    parsed: list = field(default_factory=list)  # ingest.BatchFile of the sessions and measurements mapped

    def paths(self, resource_type: str | None) -> list[str]:
        """The files of one read type, or (None) of every type the reader does not read."""
        return [str(o.path) for o in self.outputs
                if (o.resource_type == resource_type if resource_type else o.resource_type not in READ_TYPES)]


def load(folder: Path) -> dict | None:
    """The manifest when it is a FHIR Bulk Data one (an object with 'output' and no 'files'), else None."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, dict) and "output" in data and "files" not in data and "schema_version" not in data:
        return data
    return None


def _file_name(url: object) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    name = urlparse(url.strip()).path.rstrip("/").rsplit("/", 1)[-1] if "/" in url else url.strip()
    return name or None


def check(manifest: dict, folder: Path, names: list[str], batch) -> FhirExport:
    """Check the manifest and its files, adding reasons and warnings to ``batch`` (an ingest.Batch)."""
    export = FhirExport(transaction_time=manifest.get("transactionTime")
                        if isinstance(manifest.get("transactionTime"), str) else None)
    if export.transaction_time is None:
        batch.reasons.append("manifest.json (a FHIR Bulk Data manifest) has no transactionTime")
    if not isinstance(manifest.get("request"), str):
        batch.warnings.append("manifest.json (a FHIR Bulk Data manifest) has no request")
    extension = manifest.get("extension") if isinstance(manifest.get("extension"), dict) else {}
    for key in ("clinic_id", "export_id"):
        value = extension.get(key)
        if value is None:
            continue
        if isinstance(value, str) and re.fullmatch(contract.CLINIC_ID_PATTERN, value):
            setattr(batch, "clinic_id" if key == "clinic_id" else "batch_id", value)
        else:
            batch.reasons.append(f"manifest.json has an extension.{key} that is not 1 to 64 letters, digits, '-' or '_'")
    batch.exported_at = export.transaction_time[:64] if export.transaction_time else None
    outputs = manifest.get("output")
    if not isinstance(outputs, list):
        batch.reasons.append("manifest.json has 'output' that is not a list")
        return export
    listed = set()
    for i, entry in enumerate(outputs, 1):
        _check_output(export, batch, folder, i, entry, listed)
    for other in (n for n in names if n != MANIFEST and n not in listed and not n.startswith(".")):
        batch.warnings.append(f"{other} is not listed in manifest.json and was ignored")
    hash_outputs(export, batch)
    return export


def _check_output(export: FhirExport, batch, folder: Path, i: int, entry: object, listed: set) -> None:
    if not isinstance(entry, dict):
        batch.reasons.append(f"manifest.json output {i} is not an object")
        return
    rtype, name = entry.get("type"), _file_name(entry.get("url"))
    if not isinstance(rtype, str) or not RESOURCE_TYPE.match(rtype):
        batch.reasons.append(f"manifest.json output {i} has no resource type")
        return
    if name is None or name.startswith(".") or "\\" in name:
        batch.reasons.append(f"manifest.json output {i} ({rtype}) has no file url")
        return
    count = entry.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        batch.reasons.append(f"manifest.json gives {name} a count that is not a whole number")
        count = None
    path = folder / name
    if name in listed:
        batch.reasons.append(f"manifest.json lists {name} more than once")
        return
    listed.add(name)
    if not path.is_file():
        batch.reasons.append(f"manifest.json lists {name}, which is not in the batch")
        return
    if count is None:
        batch.warnings.append(f"manifest.json gives {name} no count; its lines were not checked against one")
    export.outputs.append(Output(rtype, path, count))


def _sha256(path: Path) -> str | OSError:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                digest.update(chunk)  # hashlib releases the GIL: files are hashed in parallel
    except OSError as exc:
        return exc
    return digest.hexdigest()


def hash_outputs(export: FhirExport, batch) -> None:
    """The sha256 of every listed file, several files at once; an unreadable one rejects the batch."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(export.outputs), os.cpu_count() or 1))) as pool:
        digests = list(pool.map(_sha256, [o.path for o in export.outputs]))
    for out, digest in zip(list(export.outputs), digests):
        if isinstance(digest, OSError):
            batch.reasons.append(f"{out.path.name} cannot be read ({digest.strerror or digest.__class__.__name__})")
            export.outputs.remove(out)
        else:
            out.sha256 = digest
