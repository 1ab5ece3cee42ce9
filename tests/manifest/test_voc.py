import io
import time

import pytest
from lxml import etree

from manifest import (BndBox, Circle, Dashed, Line, Num, Point, Polygon, Polyline, UnsafeXmlError,
                      VocAnnotation, VocError, VocObject, read_voc, write_voc)

from ._manifest_helpers import REAL, real_files, voc_text

VOCS = [p for p in real_files("voc") if "invalid" not in p.name]
INVALID = REAL / "voc" / "sdk_invalid_object_with_bndbox_and_polygon_tabs.xml"


def _canon(data: bytes) -> bytes:
    """The document with whitespace-only text removed and comments kept: for comparisons."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    return etree.tostring(etree.fromstring(data, parser), method="c14n")


@pytest.mark.skipif(not VOCS, reason="shared/real-samples absent")
@pytest.mark.parametrize("path", VOCS, ids=lambda p: p.name)
def test_real_voc_reads_and_writes_back_equivalent(path):
    ann = read_voc(path)
    data = write_voc(ann)
    again = read_voc(data)
    assert again == ann
    assert write_voc(again) == data          # writing is stable
    # every number of the original appears with the same text
    src = etree.fromstring(path.read_bytes())
    out = etree.fromstring(data)
    for tag in ("xmin", "ymin", "xmax", "ymax", "cx", "cy", "r", "x", "y", "confidence"):
        assert [e.text.strip() for e in src.iter(tag)] == [e.text.strip() for e in out.iter(tag)]
    assert len(src.findall(".//object")) == len(out.findall(".//object"))


@pytest.mark.skipif(not INVALID.exists(), reason="shared/real-samples absent")
def test_invalid_real_file_two_shapes():
    with pytest.raises(VocError) as ei:
        read_voc(INVALID)
    e = ei.value
    assert "two shapes" in str(e) and "<bndbox>" in str(e) and "<polygon>" in str(e)
    assert e.path == str(INVALID) and e.line == 37


def test_all_shapes(real_dir):
    ann = read_voc(real_dir / "voc" / "sdk_modelarts_all_shapes_polygon_dashed_line_circle_point.xml")
    kinds = [type(o.shape) for o in ann.objects]
    assert kinds == [Polygon, Polygon, Dashed, Dashed, Line, BndBox, BndBox, Circle, Point, Point, Point]
    assert len(ann.objects[0].shape.points) == 21
    assert ann.objects[0].confidence == 0.8 and ann.objects[0].pose == "0"
    assert ann.objects[7].shape.feature() == [61, 204, 5] and ann.objects[7].difficult == 1
    assert ann.size.width == 640 and ann.source == {"database": "Unknown"}
    assert isinstance(ann.objects[2].shape, Line) and ann.objects[2].shape.kind == "dashed"


def test_polyline_and_properties_both_forms(real_dir):
    ann = read_voc(real_dir / "voc" / "sdk_polyline.xml")
    o = ann.objects[0]
    assert [(p.key, p.value, p.form) for p in o.properties] == [
        ("color", "green", "tag"), ("属性", "绿色", "tag"), (None, "value", "bare"),
        ("color2", "blue", "pair"), ("颜色2", "蓝色", "pair")]
    assert o.property_dict()["颜色2"] == "蓝色"
    assert isinstance(ann.objects[2].shape, Polyline)
    empty = read_voc(real_dir / "voc" / "sdk_empty_properties_element.xml")
    assert empty.objects[0].properties == [] and empty.objects[1].properties is None
    assert b"<properties/>" in write_voc(empty)


def test_hard_coefficient_both_tags(real_dir):
    ann = read_voc(real_dir / "voc" / "sdk_pr11_hard_coefficient_tag.xml")
    assert ann.objects[0].hard_coefficient == 0.8
    assert b"<hard-coefficient>0.8</hard-coefficient>" in write_voc(ann)
    alt = read_voc(voc_text().replace("<pose>0</pose>", "<difficult-coefficient>0.25</difficult-coefficient><pose>0</pose>").encode())
    assert alt.objects[0].hard_coefficient == 0.25
    assert b"<difficult-coefficient>0.25</difficult-coefficient>" in write_voc(alt)


def test_odd_real_files(real_dir):
    a = read_voc(real_dir / "voc" / "datumaro_no_size_float_coords_occluded.xml")
    assert a.size is None and a.folder == "" and a.objects[0].occluded == 1
    assert a.objects[0].shape.xmin.text == "1.0" and a.objects[0].pose is None
    b = read_voc(real_dir / "voc" / "datumaro_no_objects_no_size_comment.xml")
    assert b.objects == [] and b.filename == "@.jpg" and b.extra[0].comment
    c = read_voc(real_dir / "voc" / "datumaro_float_part_actions_missing_fields.xml")
    assert c.objects[1].parts[0].shape.xmin.text == "5.5"
    assert c.objects[1].extra[0].tag == "actions"
    d = read_voc(real_dir / "voc" / "sdk_labelimg_style_path_difficult1_depth1.xml")
    assert d.path == "tests/test.512.512.bmp" and d.filename == "test" and d.depth == 1
    e = read_voc(real_dir / "voc" / "sdk_voc2012_parts_confidence_no_xml_decl.xml")
    assert [p.name for p in e.objects[0].parts] == ["head", "hand", "foot", "foot"]
    assert e.objects[0].parts[0].confidence == 0.8


def test_numbers_keep_their_text():
    ann = read_voc(voc_text().encode())
    box = ann.objects[0].shape
    assert box.xmin == 47.0 and box.xmin.text == "47.00" and box.ymax.text == "200.5"
    out = write_voc(ann)
    assert b"<xmin>47.00</xmin>" in out and b"<ymax>200.5</ymax>" in out
    box.xmin = box.xmin + 1          # a changed value is formatted anew
    assert b"<xmin>48</xmin>" in write_voc(ann)
    assert repr(Num(" 3.10 ")) == "3.10"


def test_written_element_order_and_declaration():
    o = VocObject(name="cat", shape=BndBox(1, 2, 3, 4), pose="Unspecified", truncated=0,
                  occluded=0, difficult=0, confidence=0.5)
    data = write_voc(VocAnnotation(filename="a.jpg", folder="Images", objects=[o]))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<annotation>\n    <folder>')
    root = etree.fromstring(data)
    assert [c.tag for c in root] == ["folder", "filename", "object"]
    assert [c.tag for c in root[2]] == ["name", "pose", "truncated", "occluded", "difficult", "confidence", "bndbox"]
    assert [c.tag for c in root[2][-1]] == ["xmin", "ymin", "xmax", "ymax"]


def test_write_to_path_and_file(tmp_path):
    ann = read_voc(voc_text().encode())
    p = tmp_path / "a.xml"
    data = write_voc(ann, p)
    assert p.read_bytes() == data
    buf = io.BytesIO()
    write_voc(ann, buf)
    assert buf.getvalue() == data
    assert read_voc(p) == read_voc(io.BytesIO(data)) == ann


def test_point_x1_y1_form_and_child_order():
    xml = voc_text().replace(
        "<bndbox><xmin>47.00</xmin><ymin>10</ymin><xmax>100</xmax><ymax>200.5</ymax></bndbox>",
        "<point><x1>5</x1><y1>6</y1></point>")
    ann = read_voc(xml.encode())
    assert ann.objects[0].shape == Point(5, 6, ("x1", "y1"))
    assert b"<x1>5</x1>" in write_voc(ann)
    swapped = voc_text().replace("<ymin>10</ymin><xmax>100</xmax>", "<xmax>100</xmax><ymin>10</ymin>")
    assert read_voc(swapped.encode()).objects[0].shape.ymin == 10


@pytest.mark.parametrize("body,msg", [
    ("<bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox>", "not a number"),
    ("<bndbox><xmin>nan</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox>", "not a finite number"),
    ("<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax></bndbox>", "lacks <ymax>"),
    ("<polygon><x1>1</x1><y1>1</y1><x2>3</x2></polygon>", "x2 without its pair"),
    ("<circle><cx>1</cx><cy>1</cy></circle>", "lacks <r>"),
    ("", "has no shape"),
    # every shape reports its own missing or stray children, whole messages
    ("<line><x1>1</x1><y1>1</y1></line>", r"^3: object 1 \(n\): <line> lacks <x2>, <y2>$"),
    ("<dashed><x1>1</x1><y2>1</y2></dashed>", r"^3: object 1 \(n\): <dashed> lacks <y1>, <x2>$"),
    ("<point><x>1</x></point>", r"^3: object 1 \(n\): <point> lacks <y>$"),
    ("<point><x1>1</x1></point>", r"^3: object 1 \(n\): <point> lacks <y1>$"),
    ("<polyline></polyline>", r"^3: object 1 \(n\): <polyline> has no points$"),
    ("<polygon><x1>1</x1><y1>1</y1><z1>3</z1></polygon>", r"^3: object 1 \(n\): unexpected <z1> in <polygon>$"),
    ("<polygon><x1>1</x1><y2>1</y2></polygon>", r"^3: object 1 \(n\): <polygon> has x1 without its pair$"),
    ("<circle><cx>1</cx><cx>2</cx><cy>1</cy><r>1</r></circle>", r"^3: object 1 \(n\): <circle> has <cx> twice$"),
])
def test_bad_objects(body, msg):
    xml = f"<annotation>\n<filename>a</filename>\n<object><name>n</name>{body}</object></annotation>"
    with pytest.raises(VocError, match=msg) as ei:
        read_voc(xml.encode())
    assert ei.value.line == 3


def test_malformed_xml_has_line_and_column():
    with pytest.raises(VocError, match="malformed XML") as ei:
        read_voc(b"<annotation>\n  <filename>a</filenam>\n</annotation>")
    assert ei.value.line == 2 and ei.value.column is not None
    with pytest.raises(VocError, match="expected <annotation>"):
        read_voc(b"<doc/>")
    with pytest.raises(VocError, match="cannot open"):
        read_voc("/nonexistent/x.xml")


# ---------------------------------------------------------------------- hardening
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<annotation><filename>&lol9;</filename></annotation>
"""


def test_billion_laughs_fails_fast(tmp_path):
    p = tmp_path / "lol.xml"
    p.write_bytes(BILLION_LAUGHS)
    t = time.perf_counter()
    with pytest.raises(UnsafeXmlError, match="doctype"):
        read_voc(p)
    with pytest.raises(VocError):
        read_voc(BILLION_LAUGHS.decode().encode("utf-16"))
    assert time.perf_counter() - t < 1.0


def test_external_entities_read_nothing(tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    docs = [
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<annotation><filename>&x;</filename></annotation>',
        '<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.invalid/x.dtd">'
        '<annotation><filename>a</filename></annotation>',
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'
        '<annotation/>',
    ]
    opened = []
    real_open = open

    def spy(file, *a, **k):
        opened.append(str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr("builtins.open", spy)
    for d in docs:
        with pytest.raises(UnsafeXmlError):
            read_voc(d.encode())
    assert opened == []


def test_lxml_settings_are_a_second_line():
    # even past the DOCTYPE check, the parser neither expands nor loads entities
    from manifest.voc import _parser
    root = etree.fromstring(
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', _parser())
    assert b"root:" not in etree.tostring(root)


def test_size_limit(tmp_path):
    big = voc_text().replace("<segmented>0</segmented>", "<!--" + "x" * 5000 + "-->")
    with pytest.raises(UnsafeXmlError, match="limit"):
        read_voc(big.encode(), max_bytes=4096)
    p = tmp_path / "big.xml"
    p.write_text(big)
    with pytest.raises(UnsafeXmlError, match="limit"):
        read_voc(p, max_bytes=4096)
    assert read_voc(p).filename == "a.jpg"
