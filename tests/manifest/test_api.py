import subprocess
import sys

import manifest


def test_public_api_is_pinned():
    assert sorted(manifest.__all__) == sorted([
        "Sample", "Annotation", "Manifest", "ManifestReader", "read_manifest", "iter_manifest",
        "write_manifest", "IMAGE_CLASSIFICATION", "OBJECT_DETECTION", "PASCAL_VOC",
        "filter_samples", "labels", "label_counts", "is_remote", "resolve_loc", "voc_paths",
        "rewrite_prefix", "VocAnnotation", "VocObject", "VocSize", "Property", "Num", "BndBox",
        "Polygon", "Polyline", "Line", "Dashed", "Circle", "Point", "read_voc", "write_voc",
        "VocBoxes", "from_boxes", "with_boxes", "voc_to_xyxy", "xyxy_to_voc", "from_folder",
        "to_folder", "ManifestError", "ManifestLineError", "VocError", "UnsafeXmlError",
        "LayoutError", "UnusedFileError",
    ])
    for name in manifest.__all__:
        assert hasattr(manifest, name), name


def test_manifest_never_imports_augment():
    code = (
        "import sys, manifest, manifest.cli, manifest.layouts, manifest.vocboxes; "
        "print(any(m == 'augment' or m.startswith('augment.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_error_tree():
    assert issubclass(manifest.ManifestLineError, manifest.ManifestError)
    assert issubclass(manifest.UnsafeXmlError, manifest.VocError)
    assert issubclass(manifest.VocError, manifest.ManifestError)
    assert issubclass(manifest.LayoutError, manifest.ManifestError)
    assert issubclass(manifest.ManifestError, ValueError)
    e = manifest.ManifestLineError("bad", "f.manifest", 3, 7)
    assert str(e) == "f.manifest:3:7: bad"
    assert (e.path, e.line, e.column, e.reason) == ("f.manifest", 3, 7, "bad")
    import pickle
    assert str(pickle.loads(pickle.dumps(e))) == str(e)


def test_library_never_prints(capsys, tmp_path):
    p = tmp_path / "x.manifest"
    p.write_text('{"source":"a"}\nnot json\n', encoding="utf-8")
    m = manifest.read_manifest(p, strict=False)
    assert len(m) == 1 and len(m.errors) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
