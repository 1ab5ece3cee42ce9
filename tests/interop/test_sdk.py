"""Huawei's open-source dataset SDK (``huawei-clouds/modelarts-dataset-sdk``, Python) parses what
``augment run`` writes, field by field.

The SDK is not on PyPI, so this runs only where ``MODELARTS_SDK_PATH`` names its Python folder
(``huaweicloud-sdk-python-modelarts-dataset``, the one holding ``modelarts/manifest.py``) of a
checkout; skipped otherwise (CI cannot fetch it). It is Python 2 code: ``reload(sys)`` /
``sys.setdefaultencoding`` are shimmed and its ``obs`` client is stubbed (nothing remote is read).
"""

from __future__ import annotations

import builtins
import os
import sys
import types
from pathlib import Path

import pytest

SDK = os.environ.get("MODELARTS_SDK_PATH")
if not SDK or not (Path(SDK) / "modelarts" / "manifest.py").is_file():
    pytest.skip("MODELARTS_SDK_PATH does not name the SDK's Python folder", allow_module_level=True)

from manifest import read_manifest  # noqa: E402
from manifest.voc import read_voc  # noqa: E402

from ._interop import augment, classification_folder, example  # noqa: E402


@pytest.fixture(scope="module")
def sdk():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "reload", lambda m: m, raising=False)
        mp.setattr(sys, "setdefaultencoding", lambda e: None, raising=False)
        try:
            import obs  # noqa: F401
        except ImportError:
            stub = types.ModuleType("obs")
            stub.ObsClient = object
            stub.__all__ = ["ObsClient"]
            mp.setitem(sys.modules, "obs", stub)
        mp.syspath_prepend(SDK)
        for name in [m for m in sys.modules if m == "modelarts" or m.startswith("modelarts.")]:
            mp.delitem(sys.modules, name)
        from modelarts import manifest as sdk_manifest
        from modelarts import pascal_voc as sdk_voc
        yield types.SimpleNamespace(manifest=sdk_manifest, voc=sdk_voc)


@pytest.fixture(scope="module")
def ex(tmp_path_factory) -> Path:
    return example(tmp_path_factory.mktemp("ex") / "ex", count=8)


def test_sdk_parses_classification_output(sdk, ex, tmp_path):
    inp = classification_folder(tmp_path / "in", {"cat": 6, "dog": 4, "向日葵": 3})
    out = tmp_path / "out"
    augment("run", inp, "-o", out, "--ops", ex / "pipeline.json", "--copies", 2, "--include-originals",
            "--split", "train=0.7,eval=0.3", "--seed", 4, "-q")
    man = out / "output.manifest"
    ours = read_manifest(man)
    ds = sdk.manifest.parse_manifest(str(man))
    theirs = ds.get_sample_list()
    assert ds.get_size() == len(theirs) == len(ours) == 39
    for t, s in zip(theirs, ours):
        assert t.get_source() == s.source
        assert t.get_usage() == s.usage in ("TRAIN", "EVAL")
        assert t._source_property == s.property          # the SDK reads property (no getter)
        assert set(t._source_property) == {"augment:original", "augment:copy"}
        assert t.get_id() is None and t.get_inference_loc() is None
        assert [(a.get_type(), a.get_name()) for a in t.get_annotations()] == \
            [("modelarts/image_classification", n) for n in s.labels]
    for usage in ("train", "eval", "TRAIN"):
        got, kind = sdk.manifest.get_sample_list(str(man), "image_classification", usage=usage)
        assert kind == "single"
        assert got == [[s.source, s.labels] for s in ours if s.usage == usage.upper()]


def test_sdk_parses_detection_output_and_its_voc_files(sdk, ex, tmp_path):
    out = tmp_path / "out"
    augment("run", ex / "detection", "-o", out, "--ops", ex / "pipeline.json", "--copies", 2, "-q")
    man = out / "output.manifest"
    ours = read_manifest(man)
    theirs = sdk.manifest.parse_manifest(str(man)).get_sample_list()
    assert len(theirs) == len(ours) == 16
    for t, s in zip(theirs, ours):
        (a,) = t.get_annotations()
        assert (a.get_type(), a.get_loc(), a.get_annotation_format()) == \
            ("modelarts/object_detection", s.annotation_locs[0], "PASCAL VOC")
        assert t.get_usage() == "TRAIN" and t._source_property["augment:copy"] in (0, 1)
        # the SDK's VOC reader int()s every number: ours writes new coordinates as integers
        xml = out / a.get_loc()      # the Python SDK leaves a relative path as it is
        voc = sdk.voc.PascalVocIO.parse_xml(str(xml))
        mine = read_voc(xml)
        assert voc.get_file_name() == mine.filename == Path(s.source).name
        assert (voc.get_width(), voc.get_height(), voc.get_depth()) == (320, 240, 3)
        got = [(o.get_name(), o.get_position().get_feature()) for o in voc.get_voc_objects()]
        want = [(o.name, [[int(o.shape.xmin), int(o.shape.ymin)], [int(o.shape.xmax), int(o.shape.ymax)]])
                for o in mine.objects]
        assert got == want


def test_fact_sdk_save_drops_property(sdk, tmp_path):
    """Re-saving with the SDK loses the provenance (it reads ``property`` but never writes it),
    so run ``manifest split`` on our file, not on one the SDK rewrote."""
    man = tmp_path / "m.manifest"
    man.write_text('{"source":"a.jpg","usage":"TRAIN","property":{"augment:original":"x.jpg",'
                   '"augment:copy":0},"annotation":[{"type":"modelarts/image_classification","name":"cat"}]}\n',
                   encoding="utf-8")
    ds = sdk.manifest.parse_manifest(str(man))
    assert ds.get_sample_list()[0]._source_property == {"augment:original": "x.jpg", "augment:copy": 0}
    ds.save(str(tmp_path / "saved.manifest"))
    saved = read_manifest(tmp_path / "saved.manifest")
    assert saved[0].source == "a.jpg" and saved[0].usage == "TRAIN" and saved[0].property is None
