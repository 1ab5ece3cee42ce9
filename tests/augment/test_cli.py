"""The ``augment`` command."""

from __future__ import annotations

import json

import augment as A
from augment.cli import main


def test_ops_lists_every_operator(capsys):
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    for name in A.OPERATORS:
        assert f"{name}(" in out


def test_demo_writes_images_and_boxes(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--count", "2"]) == 0
    data = json.loads((tmp_path / "boxes.json").read_text())
    assert len(data["samples"]) == 2
    assert A.Pipeline.from_config(data["pipeline"]).seed == 0
    for rec in data["samples"]:
        name = rec["source"].removesuffix(".png")
        assert (tmp_path / f"{name}_input.png").is_file()
        if "dropped" not in rec:
            assert (tmp_path / f"{name}_augmented.png").is_file()
            assert len(rec["boxes_out"]) == len(rec["labels_out"])


def test_run_is_not_pretending(capsys):
    assert main(["run", "x"]) == 2
    assert "not in this release" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: augment" in capsys.readouterr().out
