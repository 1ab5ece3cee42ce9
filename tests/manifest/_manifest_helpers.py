"""Helpers shared by the manifest tests. Real sample files are read in place, never copied."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-samples"


def real_files(kind: str) -> list[Path]:
    folder = REAL / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


def need_real(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
BMP = b"BM" + b"\x00" * 16

VOC_TEMPLATE = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<annotation>
    <folder>Images</folder>
    <filename>{filename}</filename>
    <size><width>640</width><height>480</height><depth>3</depth></size>
    <segmented>0</segmented>
    <object>
        <name>{label}</name>
        <pose>0</pose>
        <truncated>0</truncated>
        <difficult>0</difficult>
        <bndbox><xmin>47.00</xmin><ymin>10</ymin><xmax>100</xmax><ymax>200.5</ymax></bndbox>
    </object>
</annotation>
"""


def voc_text(filename: str = "a.jpg", label: str = "cat") -> str:
    return VOC_TEMPLATE.format(filename=filename, label=label)
