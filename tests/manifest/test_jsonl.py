import io
import json
import tracemalloc

import pytest

from manifest import (ManifestError, ManifestLineError, Sample, iter_manifest, read_manifest, write_manifest)

from ._manifest_helpers import REAL, real_files

MANIFESTS = real_files("manifest")
COMPACT_EXCEPTIONS = {"sdk_classification_plus_detection_mixed_usage.manifest"}  # "confidence": 0.8


@pytest.mark.skipif(not MANIFESTS, reason="shared/real-samples absent")
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_real_manifest_round_trip(path, tmp_path):
    m = read_manifest(path)
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(m) == len(lines) and m.errors == []
    out = tmp_path / "out.manifest"
    assert write_manifest(m, out) == len(lines)
    written = out.read_text(encoding="utf-8").splitlines()
    assert len(written) == len(lines)
    for a, b in zip(lines, written):
        assert json.loads(a) == json.loads(b)
        assert json.dumps(json.loads(a)) == json.dumps(json.loads(b))  # key order
    if path.name not in COMPACT_EXCEPTIONS:
        assert written == lines  # byte-identical line for line
    # and a second pass is stable
    assert read_manifest(out).samples == m.samples


@pytest.mark.skipif(not MANIFESTS, reason="shared/real-samples absent")
def test_real_values_are_understood():
    m = read_manifest(REAL / "manifest" / "sdk_object_detection_s3_hard_false.manifest")
    hards = [a.hard for s in m for a in s.annotations]
    assert hards.count(True) == 2 and hards.count(False) == 2
    m = read_manifest(REAL / "manifest" / "sdk_classification_plus_detection_mixed_usage.manifest")
    assert [s.usage for s in m] == ["TRAIN", "TRAIN", "INFERENCE", "INFERENCE", "INFERENCE"]
    m = read_manifest(REAL / "manifest" / "sdk_V010_real_export_excerpt_lines1-12.manifest")
    assert "向日葵" in m.labels()
    m = read_manifest(REAL / "manifest" / "sdk_carbondata_property_json_string.manifest")
    assert m[0].property["@modelarts:schema"]["sourceBinary"] == "binary"


def test_encodings_line_ends_and_blank_lines(tmp_path):
    body = '{"source":"a","name":"é"}\r\n\r\n   \n{"source":"b"}\n\n'
    p = tmp_path / "x.manifest"
    p.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    r = iter_manifest(p)
    assert [s.source for s in r] == ["a", "b"]
    assert r.skipped_blank == 3 and r.lines == 5
    assert read_manifest(p)[0].extra == {"name": "é"}
    # text and binary file objects
    assert [s.source for s in iter_manifest(io.StringIO("\ufeff" + body))] == ["a", "b"]
    assert [s.source for s in iter_manifest(io.BytesIO(body.encode()))] == ["a", "b"]


def test_strict_errors_name_file_line_and_column(tmp_path):
    p = tmp_path / "bad.manifest"
    p.write_text('{"source":"a"}\n\n{"source": "b", "usage": }\n', encoding="utf-8")
    with pytest.raises(ManifestLineError) as ei:
        read_manifest(p)
    e = ei.value
    assert (e.path, e.line, e.column) == (str(p), 3, 26)
    assert "invalid JSON" in str(e) and str(e).startswith(f"{p}:3:26: ")


@pytest.mark.parametrize("line,col,msg", [
    ('{"usage":"TRAIN"}', 1, "missing required key 'source'"),
    ('{"usage":"TRAIN","source":5}', 18, "'source' must be a string"),
    ('{"source":"a","annotation":[{"type":"t","hard":"perhaps"}]}', 41, "'hard' must be true or false"),
    ('[1]', 1, "must be a JSON object"),
    ('{"source":"a"} trailing', 16, "invalid JSON: Extra data"),
    ('{"source":"a"', 14, "invalid JSON"),
])
def test_error_kinds(line, col, msg):
    with pytest.raises(ManifestLineError, match=msg) as ei:
        read_manifest(io.StringIO('{"source":"ok"}\n' + line + "\n"))
    assert ei.value.line == 2 and ei.value.column == col


def test_invalid_utf8_is_a_line_error(tmp_path):
    p = tmp_path / "x.manifest"
    p.write_bytes(b'{"source":"a"}\n{"source":"\xff"}\n{"source":"c"}\n')
    with pytest.raises(ManifestLineError, match="invalid UTF-8") as ei:
        read_manifest(p)
    assert (ei.value.line, ei.value.column) == (2, 12)
    m = read_manifest(p, strict=False)
    assert [s.source for s in m] == ["a", "c"] and m.errors[0].line == 2


def test_lenient_skips_and_records_the_same_errors(tmp_path):
    p = tmp_path / "mixed.manifest"
    p.write_text('{"source":"a"}\nnot json\n{"usage":"TRAIN"}\n{"source":"d"}\n', encoding="utf-8")
    with pytest.raises(ManifestLineError) as strict_err:
        read_manifest(p)
    m = read_manifest(p, strict=False)
    assert [s.source for s in m] == ["a", "d"]
    assert [e.line for e in m.errors] == [2, 3]
    assert str(m.errors[0]) == str(strict_err.value)
    errors = []
    assert len(list(iter_manifest(p, strict=False, errors=errors))) == 2 and len(errors) == 2


def test_missing_file_is_a_manifest_error(tmp_path):
    with pytest.raises(ManifestLineError, match="cannot open"):
        read_manifest(tmp_path / "nope.manifest")


def test_deep_nesting_is_an_error_not_a_crash():
    line = '{"source":"a","x":' + "[" * 100000 + "]" * 100000 + "}"
    m = read_manifest(io.StringIO(line + "\n"), strict=False)
    assert len(m) == 0 and len(m.errors) == 1


def test_writer_format(tmp_path):
    s = [Sample.classification("s3://b/é.jpg", ["向日葵"]), {"source": "plain", "k": 1}]
    buf = io.StringIO()
    assert write_manifest(s, buf) == 2
    assert buf.getvalue() == (
        '{"source":"s3://b/é.jpg","annotation":[{"type":"modelarts/image_classification","name":"向日葵"}]}\n'
        '{"source":"plain","k":1}\n')
    b = io.BytesIO()
    write_manifest(s, b)
    assert b.getvalue().decode("utf-8") == buf.getvalue()
    with pytest.raises(TypeError):
        write_manifest([3], io.StringIO())


def test_write_in_place_is_atomic(tmp_path):
    p = tmp_path / "m.manifest"
    p.write_text('{"source":"a","usage":"train"}\n{"source":"b"}\n', encoding="utf-8")
    samples = iter_manifest(p)
    write_manifest(read_manifest(p), p)
    assert p.read_text(encoding="utf-8") == '{"source":"a","usage":"train"}\n{"source":"b"}\n'
    assert [x.name for x in tmp_path.iterdir()] == ["m.manifest"]
    samples.close()


def _lines(n):
    for i in range(n):
        yield f'{{"source":"s3://b/{i}.jpg","usage":"TRAIN","annotation":[{{"type":"modelarts/image_classification","name":"c{i % 7}"}}]}}\n'


class _Stream(io.RawIOBase):
    """A generated file that is never held in memory."""

    def __init__(self, n):
        self._it = (ln.encode() for ln in _lines(n))
        self._buf = b""

    def readable(self):
        return True

    def readinto(self, b):
        while len(self._buf) < len(b):
            try:
                self._buf += next(self._it)
            except StopIteration:
                break
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def test_streaming_memory_does_not_grow():
    def peak(n):
        tracemalloc.start()
        count = sum(1 for _ in iter_manifest(io.BufferedReader(_Stream(n))))
        _, pk = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == n
        return pk
    small, big = peak(2000), peak(20000)
    assert big < small * 1.5 + 64 * 1024


def test_gc_state_restored(tmp_path):
    import gc
    p = tmp_path / "x.manifest"
    p.write_text('{"source":"a"}\n{bad\n', encoding="utf-8")
    assert gc.isenabled()
    with pytest.raises(ManifestLineError):
        read_manifest(p)
    assert gc.isenabled()
    m = read_manifest(p, strict=False)
    assert gc.isenabled() and m.filter(usage=None) == m.samples and "1 samples" in repr(m)


@pytest.mark.parametrize("line,token,msg", [
    ('{"source":"a","x":NaN}', "NaN", "NaN is not JSON"),
    ('{"source":"a","x":Infinity}', "Infinity", "Infinity is not JSON"),
    ('{"source":"a","annotation":[{"name":"c","confidence":-Infinity}]}', "-Infinity", "-Infinity is not JSON"),
    ('{"source":"NaN","property":{"k":"Infinity","v":[1,NaN]}}', "NaN]", "NaN is not JSON"),
    ('{"source":"a","hard-coefficient":1e999}', "1e999", "1e999 is out of range"),
    ('{"source":"a","x":-1.5E+400}', "-1.5E+400", "out of range"),
])
def test_nan_and_infinity_are_not_json(line, token, msg, tmp_path):
    # Python's json reads these; RFC 8259 (and MindSpore's nlohmann parser) do not
    p = tmp_path / "x.manifest"
    p.write_text('{"source":"ok","c":0.5}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ManifestLineError, match=msg) as ei:
        read_manifest(p)
    e = ei.value
    assert (e.path, e.line, e.column) == (str(p), 2, line.index(token) + 1)
    m = read_manifest(p, strict=False)
    assert [s.source for s in m] == ["ok"] and [str(x) for x in m.errors] == [str(e)]


def test_strings_that_spell_nan_are_fine():
    m = read_manifest(io.StringIO('{"source":"NaN","name":"Infinity","x":"-Infinity","y":1e300}\n'))
    assert m[0].source == "NaN" and m[0].extra == {"name": "Infinity", "x": "-Infinity", "y": 1e300}


@pytest.mark.parametrize("make,where,value", [
    (lambda: Sample.classification("a.jpg", "cat", hard_coefficient=float("nan")), "'hard-coefficient'", "nan"),
    (lambda: Sample("b.jpg", property={"augment:copy": 0, "score": [1.0, float("-inf")]}), "'property.score[1]'", "-inf"),
    (lambda: {"source": "c.jpg", "annotation": [{"name": "x", "confidence": float("inf")}]}, "'annotation[0].confidence'", "inf"),
])
def test_writer_never_emits_nan_or_infinity(make, where, value, tmp_path):
    bad = make()
    src = bad["source"] if isinstance(bad, dict) else bad.source
    p = tmp_path / "out.manifest"
    p.write_text('{"source":"old"}\n', encoding="utf-8")
    with pytest.raises(ManifestError) as ei:
        write_manifest([Sample("first.jpg"), bad], p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}:2: sample 2 (source {src!r}): {where} is {value}")
    assert "not JSON" in msg and ei.value.line == 2
    assert p.read_text(encoding="utf-8") == '{"source":"old"}\n'     # target untouched
    assert [x.name for x in tmp_path.iterdir()] == ["out.manifest"]   # no temporary left
    for f in (io.StringIO(), io.BytesIO()):
        with pytest.raises(ManifestError, match="not JSON"):
            write_manifest([bad], f)
