"""augment.data over object storage: a manifest, its images, VOC files and masks on S3 (moto's
server on the loopback, s3fs as the client, as with OBS), read by the datasets and by a real torch
DataLoader (fork and spawn workers), item for item equal to the same files read locally."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augment.data as D
from augment.batch import storage
from manifest import Sample as MSample
from manifest import write_manifest
from manifest.vocboxes import from_boxes
from tests.augment.test_geometry import _segmentation_folder
from tests.conftest import make_image

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

torch = pytest.importorskip("torch")
pytest.importorskip("s3fs")
from torch.utils.data import DataLoader  # noqa: E402

import augment.torch as AT  # noqa: E402

H, W, N = 32, 40, 8
PIPE = {
    "ops": [
        {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
        {"name": "Rotate", "angle_min": -15, "angle_max": 15},  # box policy drop_image: item 0 drops
        {"name": "LightContrast", "func": "gamma"},
    ]
}


@pytest.fixture(scope="module")
def det(tmp_path_factory) -> Path:
    """8 PNG + VOC pairs (image 0's box is the whole image: every rotation drops it)."""
    d = tmp_path_factory.mktemp("det")
    for i in range(N):
        Image.fromarray(make_image(H, W, seed=i)).save(d / f"im{i}.png")
        box = [[0, 0, W, H]] if i == 0 else [[14, 10, 26, 22], [17, 12, 24, 20]][: 1 + i % 2]
        labels = ["dog", "cat"][: len(box)]
        ann = from_boxes(f"im{i}.png", (W, H, 3), np.asarray(box, np.float32), labels, None)
        (d / f"im{i}.xml").write_bytes(ann.to_bytes())
    return d


def _manifest(lines: list[MSample]) -> bytes:

    buf = io.StringIO()
    write_manifest(lines, buf)
    return buf.getvalue().encode()


def _put(s3, key: str, data: bytes) -> str:
    s3.fs.pipe_file(f"{s3.bucket}/{key}", data)
    return s3.url(key)


def _same(a: dict, b: dict) -> None:
    assert np.array_equal(np.asarray(a["image"]), np.asarray(b["image"]))
    assert np.array_equal(np.asarray(a["boxes"]), np.asarray(b["boxes"]))
    assert list(a["labels"]) == list(b["labels"]) and a["index"] == b["index"] and a["epoch"] == b["epoch"]


@pytest.fixture
def remote(det, s3, tmp_path):
    """The det folder on S3 under sets/data/, a manifest at sets/train.manifest naming half the
    images by relative path and half by full URL, and the same manifest locally beside the files."""
    s3.put_tree(det, "sets/data")
    lines, local = [], []
    for i in range(N):
        src = f"data/im{i}.png" if i % 2 else s3.url(f"sets/data/im{i}.png")
        voc = f"data/im{i}.xml" if i % 2 else s3.url(f"sets/data/im{i}.xml")
        lines.append(MSample.detection(src, voc, usage="TRAIN"))
        local.append(MSample.detection(str(det / f"im{i}.png"), str(det / f"im{i}.xml"), usage="TRAIN"))
    url = _put(s3, "sets/train.manifest", _manifest(lines))
    write_manifest(local, tmp_path / "local.manifest")
    return url, tmp_path / "local.manifest"


def test_a_manifest_on_s3_gives_the_items_of_the_same_files_read_locally(remote, s3):
    url, local = remote
    ds = D.ManifestDataset(url, PIPE, seed=3, endpoint_url=s3.endpoint, classes=["cat", "dog"])
    ref = D.ManifestDataset(local, PIPE, seed=3, classes=["cat", "dog"])
    assert len(ds) == len(ref) == N and ds.problems == []
    # relative sources resolve against the manifest's folder on the bucket; full URLs stay as written
    assert ds.records[1].image == s3.url("sets/data/im1.png") and ds.records[1].voc == s3.url("sets/data/im1.xml")
    assert ds.records[0].image == s3.url("sets/data/im0.png")
    for epoch in (0, 1):
        for i in range(N):
            a, b = ds[(epoch, i)], ref[(epoch, i)]
            _same(a, b)
            assert np.array_equal(a["label_ids"], b["label_ids"])
    assert ds[0]["index"] != 0  # image 0 always drops: its replacement came from the bucket too
    assert ds.__getitems__([(1, 2), 3, (0, 5)])[0]["epoch"] == 1


def test_a_torch_dataloader_over_s3_matches_local_with_fork_and_spawn_workers(remote, s3):
    url, local = remote
    ref = list(DataLoader(D.ManifestDataset(local, PIPE, seed=5), batch_size=3, collate_fn=AT.collate))
    for context, workers in (("fork", 2), ("spawn", 1)):
        ds = D.ManifestDataset(url, PIPE, seed=5, endpoint_url=s3.endpoint)
        loader = DataLoader(
            ds, batch_size=3, num_workers=workers, multiprocessing_context=context, collate_fn=AT.collate
        )
        got = list(loader)
        assert len(got) == len(ref) == 3, context
        for a, b in zip(got, ref, strict=True):
            assert [np.asarray(x).tolist() for x in a["index"]] == [np.asarray(x).tolist() for x in b["index"]]
            for x, y in zip(a["image"], b["image"], strict=True):
                assert np.array_equal(np.asarray(x), np.asarray(y)), context
            for x, y in zip(a["boxes"], b["boxes"], strict=True):
                assert np.array_equal(np.asarray(x), np.asarray(y)), context


def test_a_batch_is_fetched_in_one_round_of_requests(remote, s3, monkeypatch):
    url, _ = remote
    ds = D.ManifestDataset(url, None, seed=0, endpoint_url=s3.endpoint)  # no pipeline: nothing drops
    calls: list[list[str]] = []
    real = storage._fetch

    def spy(urls, max_bytes):
        calls.append(list(urls))
        return real(urls, max_bytes)

    monkeypatch.setattr(storage, "_fetch", spy)
    items = ds.__getitems__([1, 2, 3, 4])
    assert [it["index"] for it in items] == [1, 2, 3, 4]
    # two batched fetches (the VOC files, then the images), not one request per file
    assert [sorted(c) for c in calls] == [
        sorted(s3.url(f"sets/data/im{i}.xml") for i in (1, 2, 3, 4)),
        sorted(s3.url(f"sets/data/im{i}.png") for i in (1, 2, 3, 4)),
    ]
    assert storage._THREAD.prefetched == {}  # nothing left behind for the next batch
    calls.clear()
    single = ds[5]
    assert single["index"] == 5 and len(calls) == 2  # ds[i]: the VOC file, then the image


def test_a_missing_object_is_a_load_error_naming_the_url_and_on_error_skip_goes_on(det, s3, caplog):
    s3.put_tree(det, "d")
    lines = [MSample.detection(f"im{i}.png", f"im{i}.xml") for i in range(1, 4)]
    lines.append(MSample.detection("gone.png", "im1.xml"))
    lines.append(MSample.detection("im2.png", "gone.xml"))
    url = _put(s3, "d/m.manifest", _manifest(lines))
    ds = D.ManifestDataset(url, None, seed=0, endpoint_url=s3.endpoint)
    assert len(ds) == 5
    with pytest.raises(D.LoadError, match=r"s3://.*/d/gone\.png: cannot read: no such object") as err:
        ds[3]
    assert err.value.index == 3 and err.value.source == "gone.png"
    with pytest.raises(D.LoadError, match=r"s3://.*/d/gone\.xml: cannot read: no such object"):
        ds.__getitems__([0, 4])
    assert storage._THREAD.prefetched == {}
    skip = D.ManifestDataset(url, None, seed=0, endpoint_url=s3.endpoint, on_error="skip")
    with caplog.at_level(logging.WARNING, logger="augment.data"):
        got = skip.__getitems__([3, 4])
    assert [g["index"] for g in got] != [3, 4] and all(g["index"] in (0, 1, 2) for g in got)
    assert "gone.png: cannot read: no such object" in caplog.text and "gone.xml" in caplog.text


def test_unreadable_urls_are_left_out_with_the_reason(det, s3, tmp_path, monkeypatch):
    monkeypatch.delenv("OBS_ENDPOINT", raising=False)
    monkeypatch.delenv("S3_ENDPOINT", raising=False)
    s3.put_tree(det, "d")
    lines = [
        MSample.detection("im1.png", "im1.xml"),
        MSample.detection("content://media/external/7.jpg", "im1.xml"),
        MSample.detection("im2.png", "content://media/external/7.xml"),
    ]
    url = _put(s3, "d/m.manifest", _manifest(lines))
    ds = D.ManifestDataset(url, None, endpoint_url=s3.endpoint)
    assert [r.image for r in ds.records] == [s3.url("d/im1.png")]
    assert ds.problems == [
        {
            "source": "content://media/external/7.jpg",
            "reason": "content://media/external/7.jpg: Protocol not known: content",
        },
        {"source": "im2.png", "reason": "content://media/external/7.xml: Protocol not known: content"},
    ]
    # obs:// without an endpoint: its samples are left out (a local manifest), the manifest refused
    storage.configure(None)
    write_manifest(
        [
            MSample.detection("obs://b/im1.png", str(det / "im1.xml")),
            MSample.detection(str(det / "im2.png"), str(det / "im2.xml")),
        ],
        tmp_path / "m.manifest",
    )
    ds = D.ManifestDataset(tmp_path / "m.manifest", None)
    assert len(ds) == 1 and ds.problems[0]["source"] == "obs://b/im1.png"
    assert "obs:// needs the OBS endpoint of its region" in ds.problems[0]["reason"]
    with pytest.raises(storage.StorageError, match=r"obs://b/m\.manifest: obs:// needs the OBS endpoint"):
        D.ManifestDataset("obs://b/m.manifest", None)


def test_obs_urls_through_obs_endpoint(det, s3, monkeypatch):
    storage.configure(None)
    monkeypatch.setenv("OBS_ENDPOINT", s3.endpoint)
    s3.put_tree(det, "d")
    lines = [MSample.detection(f"im{i}.png", f"im{i}.xml") for i in range(1, 5)]
    _put(s3, "d/m.manifest", _manifest(lines))
    ds = D.ManifestDataset(f"obs://{s3.bucket}/d/m.manifest", PIPE, seed=1)
    ref = D.ManifestDataset(
        [MSample.detection(str(det / f"im{i}.png"), str(det / f"im{i}.xml")) for i in range(1, 5)], PIPE, seed=1
    )
    assert ds.records[0].image == f"obs://{s3.bucket}/d/im1.png"
    for i in range(4):
        _same(ds[i], ref[i])


def test_a_segmentation_mask_beside_its_voc_file_on_s3(s3, tmp_path):
    src = tmp_path / "seg"
    _segmentation_folder(src, 3)
    s3.put_tree(src, "seg")
    lines = [MSample.detection(f"im{i}.jpg", f"im{i}.xml") for i in range(3)]
    url = _put(s3, "seg/m.manifest", _manifest(lines))
    local = [MSample.detection(str(src / f"im{i}.jpg"), str(src / f"im{i}.xml")) for i in range(3)]
    pipe = {"ops": [{"name": "Rotate", "angle_min": -20, "angle_max": 20, "box_policy": "clip"}]}
    ds = D.ManifestDataset(url, pipe, seed=2, endpoint_url=s3.endpoint)
    ref = D.ManifestDataset(local, pipe, seed=2)
    for i in range(3):
        a, b = ds[i], ref[i]
        _same(a, b)
        assert a["mask"].shape == (48, 64) and np.array_equal(a["mask"], b["mask"])
        assert set(np.unique(a["mask"])) <= {0, 1, 2} and (a["mask"] == 1).any()
    assert ds.problems == []


def test_a_folder_on_s3_gives_the_items_of_the_same_folder_read_locally(det, s3, tmp_path):
    s3.put_tree(det, "folder")
    ds = D.FolderDataset(s3.url("folder"), PIPE, seed=4, endpoint_url=s3.endpoint)
    ref = D.FolderDataset(det, PIPE, seed=4)
    assert [r.image for r in ds.records] == [s3.url(f"folder/im{i}.png") for i in range(N)]
    assert [r.voc for r in ds.records] == [s3.url(f"folder/im{i}.xml") for i in range(N)]
    for i in range(N):
        _same(ds[i], ref[i])
    # the folder reader's rules and reports, named by URL: an XML without its image, a classification folder
    s3.fs.pipe_file(f"{s3.bucket}/folder/lonely.xml", b"<annotation/>")
    ds = D.FolderDataset(s3.url("folder"), None, endpoint_url=s3.endpoint)
    assert len(ds) == N and [p["source"] for p in ds.problems] == [s3.url("folder/lonely.xml")]
    assert "augment-listing" not in ds.problems[0]["reason"], ds.problems  # no mirror path shown
    cls = tmp_path / "cls"
    for label in ("cat", "dog"):
        (cls / label).mkdir(parents=True)
        Image.fromarray(make_image(H, W, seed=1)).save(cls / label / f"{label}1.png")
    s3.put_tree(cls, "cls")
    got = D.FolderDataset(s3.url("cls"), None, endpoint_url=s3.endpoint)
    assert sorted((it["label"], it["source"]) for it in got) == [
        ("cat", s3.url("cls/cat/cat1.png")),
        ("dog", s3.url("cls/dog/dog1.png")),
    ]
    with pytest.raises(storage.StorageError, match="no such object or folder"):
        D.FolderDataset(s3.url("nothing-here"), None, endpoint_url=s3.endpoint)


REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-samples" / "manifest"


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/real-samples absent")
def test_real_modelarts_manifests_naming_s3_objects(s3_server, tmp_path):
    """Two real manifests exported by ModelArts name their images and VOC files by s3:// URL (keys
    with spaces and parentheses; one VOC file shared by five images; a classification manifest
    with Chinese labels): with those objects made on the test server, every line is an item."""
    import s3fs
    from skimage import data as skdata

    endpoint = s3_server[0]
    fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True)
    photo = np.ascontiguousarray(skdata.astronaut()[::2, ::2])  # 256 x 256, a real photo

    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    voc = from_boxes("2007_000027.jpg", (256, 256, 3), np.array([[60, 20, 180, 240]], np.float32), ["person"], None)
    made = {}
    for name in ("sdk_object_detection_s3_hard_false.manifest", "sdk_V010_real_export_excerpt_lines1-12.manifest"):
        for line in (REAL / name).read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            made[rec["source"]] = jpeg
            for ann in rec.get("annotation", []):
                if ann.get("annotation-loc"):
                    made[ann["annotation-loc"]] = voc.to_bytes()
    for url in made:
        bucket = url[5:].split("/", 1)[0]
        if not fs.exists(bucket):
            fs.mkdir(bucket)
    fs.pipe({url[5:]: data for url, data in made.items()})
    pipe = {"ops": [{"name": "Rotate", "angle_min": -10, "angle_max": 10, "box_policy": "clip"}, {"name": "Flip"}]}
    det = D.ManifestDataset(REAL / "sdk_object_detection_s3_hard_false.manifest", pipe, seed=0, endpoint_url=endpoint)
    n_lines = len((REAL / "sdk_object_detection_s3_hard_false.manifest").read_text().splitlines())
    # one line names two VOC files for its image (a ModelArts export): left out, with the reason
    assert len(det) == n_lines - 1
    assert det.problems == [
        {
            "source": "s3://obs-ma/test/label-0220/datafiles/1 (5)_15506326179922.jpg",
            "reason": "2 VOC annotations for one image; only one is supported",
        }
    ]
    assert any(" (" in r.image for r in det.records)  # keys with spaces and parentheses
    got = list(DataLoader(det, batch_size=2, num_workers=2, collate_fn=AT.collate))
    items = [(s, b) for batch in got for s, b in zip(batch["source"], batch["boxes"], strict=True)]
    assert sorted(s for s, _ in items) == sorted(r.source for r in det.records)
    assert all(len(b) == 1 for _, b in items)  # the one box of the shared VOC file, moved with each image
    cls = D.ManifestDataset(REAL / "sdk_V010_real_export_excerpt_lines1-12.manifest", None, endpoint_url=endpoint)
    assert len(cls) > 0 and cls.problems == []
    labels = [cls[i]["labels"] for i in range(len(cls))]
    assert ["sunflowers", "向日葵"] in labels and all(cls[i]["image"].shape == (256, 256, 3) for i in range(2))


def test_each_dataset_reads_through_its_own_endpoint(remote, s3):
    """The endpoint is a dataset's, not the process's: another dataset (or storage.configure) with
    another endpoint in the same process does not move this one's reads."""
    url, local = remote
    ds = D.ManifestDataset(url, None, seed=0, endpoint_url=s3.endpoint)
    nowhere = "http://127.0.0.1:9"  # nothing listens there
    other = D.ManifestDataset([MSample.detection("s3://x/a.png", "s3://x/a.xml")], None, endpoint_url=nowhere)
    storage.configure(nowhere)
    ref = D.ManifestDataset(local, None, seed=0)
    _same(ds[1], ref[1])
    for a, b in zip(ds.__getitems__([2, 3]), [ref[2], ref[3]], strict=True):
        _same(a, b)
    with pytest.raises(D.LoadError, match=r"s3://x/a\.png"):
        other[0]


def test_a_folder_whose_object_names_cannot_be_a_tree_is_a_clear_error(det, s3):
    s3.put_tree(det, "clash")
    s3.fs.pipe_file(f"{s3.bucket}/clash/im1.png/extra.png", b"x")  # "im1.png" is an object and a folder
    with pytest.raises(storage.StorageError, match=r"clash/im1\.png/extra\.png: this object's name cannot be read"):
        D.FolderDataset(s3.url("clash"), None, endpoint_url=s3.endpoint)
    assert storage._THREAD.prefetched == {}
