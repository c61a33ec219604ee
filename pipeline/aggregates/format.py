"""The aggregates file (docs/aggregates.md): one ZIP archive, a manifest and one Parquet per part.

Layout (format ``massage-outcomes-aggregates``, version ``FORMAT_VERSION``)::

    manifest.json            written first: format, version, site, clinics, batches, registry
                             hash, code version, the analysis settings, when it was exported,
                             and per part its rows, columns and sha256
    parts/<name>.parquet     one per table: the agg.* sufficient statistics and the site's
                             audit counts (batches, files, quarantine reasons, checks)

The members are stored, not deflated (Parquet is compressed already), so a part's sha256 is
that of its bytes in the archive. Pure functions only: no DuckDB, no warehouse. ``read``
checks a file whole and returns its manifest and parts' bytes, or raises ``AggregatesError``
with one sentence that names the file and what is wrong.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import OutcomesError

FORMAT = "massage-outcomes-aggregates"
FORMAT_VERSION = "2"
MANIFEST = "manifest.json"
PART_DIR = "parts/"
ZIP_MAGIC = b"PK\x03\x04"
SITE_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
PART_KINDS = ("agg", "audit")
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
REQUIRED_KEYS = ("format", "format_version", "site_id", "clinics", "batches", "registry_sha256", "code", "parts")
# The analysis settings a merge requires every file to carry, and to agree on (the manifest's
# "settings": those of pipeline.intermediate.RECORDED_SETTINGS). Optional in version 1 (files
# written before had none): a merge refuses such a file with a sentence to export it again.
REQUIRED_SETTINGS = ("episode_gap_days",)


class AggregatesError(OutcomesError):
    """A bad aggregates file (or set of files): the message is one sentence naming it."""


@dataclass(frozen=True)
class Part:
    name: str  # the warehouse table's name (agg.<name>, or for kind "audit" the audit table it feeds)
    kind: str  # "agg" or "audit"
    data: bytes  # the Parquet file
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type in the site's warehouse)
    rows: int

    @property
    def file(self) -> str:
        return f"{PART_DIR}{self.kind}/{self.name}.parquet"


@dataclass
class Aggregates:
    """One checked aggregates file: its manifest and its parts (by name)."""
    path: Path
    manifest: dict
    parts: dict[str, Part] = field(default_factory=dict)
    sha256: str = ""

    @property
    def site_id(self) -> str:
        return self.manifest["site_id"]

    @property
    def clinics(self) -> list[str]:
        return list(self.manifest["clinics"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_for(site_id: str, clinics: list[str], batches: list[dict], registry_sha256: str,
                 code: dict, parts: list[Part], settings: dict | None = None, exported_at: str | None = None) -> dict:
    """The manifest of a file holding these parts (each part's sha256 of its Parquet bytes);
    ``settings``: the analysis settings the aggregates were built with; ``exported_at``: when
    (ISO 8601, UTC; omitted when None)."""
    if not re.fullmatch(SITE_ID_PATTERN, site_id or ""):
        raise AggregatesError(f"the site id '{site_id}' is not 1 to 64 letters, digits, '.', '-' or '_'")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "site_id": site_id,
        "clinics": sorted(clinics),
        "batches": sorted(batches, key=lambda b: (b["batch_id"], b["sha256"])),
        "registry_sha256": registry_sha256,
        "code": code,
        "settings": settings or {},
        **({"exported_at": exported_at} if exported_at is not None else {}),
        "parts": [{"name": p.name, "kind": p.kind, "file": p.file, "rows": p.rows, "sha256": sha256(p.data),
                   "columns": [[c, t] for c, t in p.columns]} for p in parts],
    }


def write(path: Path, manifest: dict, parts: list[Part]) -> None:
    """Write the archive (manifest first, parts stored) to ``path`` through a temporary file, so
    a reader never sees half a file under the final name."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
            for p in parts:
                z.writestr(p.file, p.data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AggregatesError(f"cannot write the aggregates file {path}: {exc.strerror or exc}") from None


def _fail(path: Path, what: str) -> AggregatesError:
    return AggregatesError(f"{path} {what}")


def _open(path: Path) -> tuple[zipfile.ZipFile, bytes]:
    if not path.exists():
        raise _fail(path, "does not exist")
    if not path.is_file():
        raise _fail(path, "is not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})") from None
    if not data.startswith(ZIP_MAGIC):
        raise _fail(path, "is not an aggregates file (not a ZIP archive written by 'outcomes aggregates export')")
    try:
        return zipfile.ZipFile(io.BytesIO(data)), data
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _fail(path, "is cut short or damaged (its ZIP directory is missing or unreadable): "
                          "copy it again from the site") from None


def _member(z: zipfile.ZipFile, path: Path, name: str, limit: int | None = None) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise _fail(path, f"has no {name}") from None
    if limit is not None and info.file_size > limit:
        raise _fail(path, f"has a {name} over {limit} bytes")
    try:
        return z.read(info)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError):  # CRC error, cut member
        raise _fail(path, f"is damaged: {name} cannot be read whole (copy the file again from the site)") from None


def _check_manifest(path: Path, m: object) -> dict:
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise _fail(path, f"is not an aggregates file (its manifest.json does not name the format '{FORMAT}')")
    version = m.get("format_version")
    if str(version) != FORMAT_VERSION:
        shown = str(version)[:20] if re.fullmatch(r"[\w.-]{1,20}", str(version)) else "(not a version)"
        raise _fail(path, f"has aggregates format version '{shown}', but this pipeline reads only "
                          f"version '{FORMAT_VERSION}': export it again with this version of the pipeline")
    missing = [k for k in REQUIRED_KEYS if k not in m]
    if missing:
        raise _fail(path, f"has a manifest.json without {', '.join(missing)}")
    if not isinstance(m["site_id"], str) or not re.fullmatch(SITE_ID_PATTERN, m["site_id"]):
        raise _fail(path, "has a manifest.json whose site_id is not 1 to 64 letters, digits, '.', '-' or '_'")
    if not isinstance(m["clinics"], list) or not all(isinstance(c, str) for c in m["clinics"]):
        raise _fail(path, "has a manifest.json whose clinics are not a list of ids")
    if len(set(m["clinics"])) != len(m["clinics"]):
        raise _fail(path, "has a manifest.json that lists a clinic twice")
    if not isinstance(m["parts"], list) or not all(isinstance(p, dict) for p in m["parts"]):
        raise _fail(path, "has a manifest.json whose parts are not a list of objects")
    if not isinstance(m["batches"], list) or not all(
            isinstance(b, dict) and isinstance(b.get("batch_id"), str) and isinstance(b.get("sha256"), str)
            and re.fullmatch(SHA256_PATTERN, b["sha256"]) for b in m["batches"]):
        raise _fail(path, "has a manifest.json whose batches are not a list of batch ids with their sha256")
    return m


def _part(z: zipfile.ZipFile, path: Path, entry: dict) -> Part:
    name, kind, file = entry.get("name"), entry.get("kind"), entry.get("file")
    if not isinstance(name, str) or not re.fullmatch(r"^[a-z][a-z0-9_]{0,63}$", name) or kind not in PART_KINDS:
        raise _fail(path, "has a manifest.json with a part whose name or kind is not valid")
    expected = f"{PART_DIR}{kind}/{name}.parquet"
    if file != expected:
        raise _fail(path, f"has a manifest.json whose part {name} is not at {expected}")
    data = _member(z, path, file)
    digest = entry.get("sha256")
    if not isinstance(digest, str) or not re.fullmatch(SHA256_PATTERN, digest):
        raise _fail(path, f"has a manifest.json without a valid sha256 for part {name}")
    if sha256(data) != digest:
        raise _fail(path, f"is damaged or was changed: the sha256 of its part {name} does not match its manifest")
    columns = entry.get("columns")
    if (not isinstance(columns, list) or not columns
            or not all(isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) for x in c) for c in columns)):
        raise _fail(path, f"has a manifest.json without the columns of part {name}")
    rows = entry.get("rows")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise _fail(path, f"has a manifest.json without the row count of part {name}")
    return Part(name=name, kind=kind, data=data, columns=tuple((c, t) for c, t in columns), rows=rows)


def read(path: Path, registry_sha256: str | None = None) -> Aggregates:
    """Open and check one aggregates file whole: the archive, the manifest (format, version and,
    when given, the measure registry's hash), and every part against its sha256."""
    path = Path(path)
    z, data = _open(path)
    with z:
        raw = _member(z, path, MANIFEST, limit=MAX_MANIFEST_BYTES)
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _fail(path, "is not an aggregates file (its manifest.json is not JSON)") from None
        manifest = _check_manifest(path, manifest)
        if registry_sha256 is not None and manifest["registry_sha256"] != registry_sha256:
            raise _fail(path, "was made with another measure registry than this hub's (registry sha256 "
                              f"{str(manifest['registry_sha256'])[:12]}... here {registry_sha256[:12]}...): "
                              "the sites and the hub must run the same measures, MCIDs and condition groups")
        parts: dict[str, Part] = {}
        for entry in manifest["parts"]:
            part = _part(z, path, entry)
            if part.name in parts:
                raise _fail(path, f"has a manifest.json that lists part {part.name} twice")
            parts[part.name] = part
    return Aggregates(path=path, manifest=manifest, parts=parts, sha256=sha256(data))


def check_together(files: list[Aggregates], hub_clinics: dict[str, str] | None = None) -> None:
    """Files merged together: each site once, each clinic in one site only (also against the
    clinics the hub holds from other sites: clinic -> site)."""
    sites: dict[str, Aggregates] = {}
    for f in files:
        if f.site_id in sites:
            raise AggregatesError(f"{sites[f.site_id].path} and {f.path} are both from site '{f.site_id}': "
                                  "merge one file per site")
        sites[f.site_id] = f
    owner: dict[str, Aggregates] = {}
    for f in files:
        for clinic in f.clinics:
            if clinic in owner:
                raise AggregatesError(f"clinic '{clinic}' is in two sites' aggregates ({owner[clinic].path}, site "
                                      f"'{owner[clinic].site_id}', and {f.path}, site '{f.site_id}'): a clinic "
                                      "must be exported by one site only")
            owner[clinic] = f
            held = (hub_clinics or {}).get(clinic)
            if held is not None and held not in sites and held != f.site_id:
                raise AggregatesError(f"clinic '{clinic}' of {f.path} (site '{f.site_id}') is already in the hub "
                                      f"from site '{held}': a clinic must be exported by one site only")


def _settings_text(settings: dict) -> str:
    return ", ".join(f"{k} {json.dumps(settings.get(k))}" for k in sorted(settings))


def file_settings(f: Aggregates) -> dict:
    """The analysis settings a file's aggregates were built with; refuses a file without them."""
    settings = f.manifest.get("settings")
    if not isinstance(settings, dict) or any(k not in settings for k in REQUIRED_SETTINGS):
        raise _fail(f.path, "does not record the analysis settings its aggregates were built with "
                            f"({', '.join(REQUIRED_SETTINGS)}; it was exported by an earlier version): "
                            "export it again with this version of the pipeline")
    return settings


def check_settings(files: list[Aggregates], held: dict[str, dict | None] | None = None) -> dict:
    """Every file built with the same analysis settings, and with those of the hub's sites that
    stay (``held``: site -> its settings, None when its file recorded none); returns them."""
    agreed = file_settings(files[0]) if files else {}
    for f in files[1:]:
        if file_settings(f) != agreed:
            raise AggregatesError(f"{files[0].path} was built with {_settings_text(agreed)} but {f.path} with "
                                  f"{_settings_text(file_settings(f))}: every site must run with the same analysis "
                                  "settings (outcomes run --episode-gap-days), so run them alike and export again")
    for site, settings in sorted((held or {}).items()):
        if settings is None:
            raise AggregatesError(f"the hub holds site '{site}' from a file without analysis settings (an earlier "
                                  f"version): merge a new export of site '{site}' together with these files")
        if files and settings != agreed:
            raise AggregatesError(f"{files[0].path} was built with {_settings_text(agreed)} but the hub's site "
                                  f"'{site}' with {_settings_text(settings)}: every site must run with the same "
                                  "analysis settings (outcomes run --episode-gap-days), so run them alike and export again")
    return agreed
