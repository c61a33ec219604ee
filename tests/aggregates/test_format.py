"""The aggregates file format: round trip, and every kind of bad file refused with one sentence."""
from __future__ import annotations

import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.aggregates import format as fmt
from pipeline.aggregates.format import AggregatesError, Part

REGISTRY = "a" * 64


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _part(name="effect_cells", clinics=("c1", "c2")) -> Part:
    t = pa.table({"clinic_id": list(clinics), "n": [3] * len(clinics)})
    return Part(name=name, kind="agg", data=_parquet(t), columns=(("clinic_id", "VARCHAR"), ("n", "BIGINT")), rows=len(clinics))


def _write(tmp_path, name="site.zip", site="site-a", clinics=("c1", "c2"), batches=None, **manifest_changes):
    parts = [_part(clinics=clinics)]
    batches = batches if batches is not None else [{"batch_id": f"{c}-b1", "clinic_id": c, "sha256": "f" * 64,
                                                   "status": "accepted"} for c in clinics]
    m = fmt.manifest_for(site, list(clinics), batches, REGISTRY, {"version": "0"}, parts)
    m.update(manifest_changes)
    path = tmp_path / name
    fmt.write(path, m, parts)
    return path


def test_round_trip(tmp_path):
    path = _write(tmp_path)
    agg = fmt.read(path, REGISTRY)
    assert agg.site_id == "site-a" and agg.clinics == ["c1", "c2"]
    part = agg.parts["effect_cells"]
    assert pq.read_table(io.BytesIO(part.data)).to_pydict() == {"clinic_id": ["c1", "c2"], "n": [3, 3]}
    assert agg.manifest["parts"][0]["sha256"] == fmt.sha256(part.data)
    assert agg.sha256 == fmt.file_sha256(path)
    with zipfile.ZipFile(path) as z:  # manifest first, parts stored (their bytes are what is hashed)
        assert z.namelist()[0] == fmt.MANIFEST
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
    assert not list(tmp_path.glob(".*partial"))


def _message(path, registry=REGISTRY) -> str:
    with pytest.raises(AggregatesError) as err:
        fmt.read(path, registry)
    text = str(err.value)
    assert "\n" not in text and str(path) in text
    return text


def test_another_format_version(tmp_path):
    assert "format version '1'" in _message(_write(tmp_path, format_version="1"))  # before 0.4.0


def test_another_registry(tmp_path):
    assert "another measure registry" in _message(_write(tmp_path), registry="b" * 64)


def test_not_an_aggregates_file(tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    assert "not an aggregates file" in _message(text_file)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "x")
    assert "has no manifest.json" in _message(other_zip)
    wrong = _write(tmp_path, name="wrong.zip", format="something-else")
    assert "not an aggregates file" in _message(wrong)
    assert "does not exist" in _message(tmp_path / "missing.zip")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated(tmp_path, keep):
    path = _write(tmp_path)
    data = path.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert "cut short" in _message(cut)


def test_sha256_mismatch(tmp_path):
    path = _write(tmp_path)
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read(fmt.MANIFEST))
        members = {n: z.read(n) for n in z.namelist()}
    manifest["parts"][0]["sha256"] = "0" * 64
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr(fmt.MANIFEST, json.dumps(manifest))
        for n, d in members.items():
            if n != fmt.MANIFEST:
                z.writestr(n, d)
    assert "sha256 of its part effect_cells does not match" in _message(bad)


def test_a_changed_byte_is_caught(tmp_path):
    """One byte of a part flipped in place: the ZIP's CRC or the part's sha256 catches it."""
    path = _write(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(z.namelist()[1])
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[start] ^= 0xFF
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(data))
    assert "damaged" in _message(bad)


def test_the_same_clinic_from_two_sites(tmp_path):
    a = fmt.read(_write(tmp_path, "a.zip", site="a", clinics=("c1", "c2")), REGISTRY)
    b = fmt.read(_write(tmp_path, "b.zip", site="b", clinics=("c2", "c3")), REGISTRY)
    with pytest.raises(AggregatesError, match="clinic 'c2' is in two sites' aggregates"):
        fmt.check_together([a, b])
    c = fmt.read(_write(tmp_path, "c.zip", site="a", clinics=("c9",)), REGISTRY)
    with pytest.raises(AggregatesError, match="both from site 'a'"):
        fmt.check_together([a, c])
    d = fmt.read(_write(tmp_path, "d.zip", site="d", clinics=("c7",)), REGISTRY)
    with pytest.raises(AggregatesError, match="already in the hub from site 'x'"):
        fmt.check_together([d], {"c7": "x"})
    fmt.check_together([d], {"c7": "d"})  # the site's own earlier file: replaced
    fmt.check_together([a, d])


def test_bad_site_id():
    with pytest.raises(AggregatesError, match="site id"):
        fmt.manifest_for("a site/with slash", [], [], REGISTRY, {}, [])


def test_the_manifest_follows_its_json_schema(tmp_path):
    import jsonschema

    schema = json.loads((fmt.Path(fmt.__file__).with_name("manifest_schema.json")).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    manifest = fmt.read(_write(tmp_path), REGISTRY).manifest
    manifest["registry_sha256"] = REGISTRY
    jsonschema.validate({**manifest, "code": {"package": "massage-outcomes", "version": "0"}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**manifest, "format_version": "1"}, schema)
    written = fmt.manifest_for("site-a", ["c1"], [], REGISTRY, {"package": "massage-outcomes", "version": "0"}, [],
                               settings={"episode_gap_days": 30}, exported_at="2026-12-01T14:30:00Z")
    jsonschema.validate(written, schema)
    for bad in ({"settings": {"episode_gap_days": 0}}, {"exported_at": "yesterday"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**written, **bad}, schema)


def test_settings_must_agree(tmp_path):
    def read(name, **changes):
        return fmt.read(_write(tmp_path, f"{name}.zip", site=name, clinics=(f"{name}1",), **changes), REGISTRY)

    a, b, c = read("a", settings={"episode_gap_days": 60}), read("b", settings={"episode_gap_days": 60}), \
        read("c", settings={"episode_gap_days": 30})
    assert fmt.check_settings([a, b], {"x": {"episode_gap_days": 60}}) == {"episode_gap_days": 60}
    with pytest.raises(AggregatesError, match="with episode_gap_days 60 but .*c.zip with episode_gap_days 30"):
        fmt.check_settings([a, c])
    with pytest.raises(AggregatesError, match="the hub's site 'x' with episode_gap_days 30"):
        fmt.check_settings([a], {"x": {"episode_gap_days": 30}})
    with pytest.raises(AggregatesError, match="does not record the analysis settings"):
        fmt.check_settings([a, read("d")])  # manifest_for's default: no settings (as before they were recorded)
