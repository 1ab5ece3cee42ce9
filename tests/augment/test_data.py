"""augment.data (datasets for training loops) and augment.torch (to_tensor, collate), with a real
torch DataLoader at 0 and 2 workers, fork and spawn, persistent workers."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augment as A
import augment.data as D
from manifest import Sample as MSample
from manifest import write_manifest
from manifest.vocboxes import from_boxes
from tests.conftest import make_image

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402

import augment.torch as AT  # noqa: E402

H, W, N = 32, 40, 8
CENTER = [14, 10, 26, 22]  # never leaves the image under a +-15 degree rotation
PIPE = {
    "ops": [
        {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
        {"name": "Rotate", "angle_min": -15, "angle_max": 15},  # box policy drop_image
        {"name": "LightContrast", "func": "gamma"},
    ]
}


def _voc(folder: Path, name: str, boxes, labels, difficult=None) -> None:
    fields = {"difficult": difficult} if difficult is not None else None
    ann = from_boxes(name, (W, H, 3), np.asarray(boxes, np.float32).reshape(-1, 4), labels, fields)
    (folder / (Path(name).stem + ".xml")).write_bytes(ann.to_bytes())


@pytest.fixture(scope="module")
def det(tmp_path_factory) -> Path:
    """8 PNG + VOC pairs; image 0's box is the whole image (any rotation drops it)."""
    d = tmp_path_factory.mktemp("det")
    for i in range(N):
        Image.fromarray(make_image(H, W, seed=i)).save(d / f"im{i}.png")
        if i == 0:
            _voc(d, "im0.png", [[0, 0, W, H]], ["dog"], [1])
        else:
            _voc(d, f"im{i}.png", [CENTER, [17, 12, 24, 20]][: 1 + i % 2], ["cat", "dog"][: 1 + i % 2], [0, 1][: 1 + i % 2])
    return d


def _items_equal(a: dict, b: dict) -> bool:
    return (np.array_equal(np.asarray(a["image"]), np.asarray(b["image"]))
            and np.array_equal(np.asarray(a["boxes"]), np.asarray(b["boxes"])) and a["index"] == b["index"])


def _loader(ds, **kw):
    kw.setdefault("batch_size", 3)
    kw.setdefault("collate_fn", AT.collate)
    if kw.get("num_workers", 0) > 0:
        kw.setdefault("multiprocessing_context", "fork")
    return DataLoader(ds, **kw)


def _by_source(batches) -> dict:
    """{(epoch, requested position) -> (image bytes, boxes)} from collated batches, in order."""
    out = []
    for b in batches:
        for k in range(len(b["index"])):
            out.append((int(b["epoch"][k]), int(b["index"][k]), b["image"][k].numpy().tobytes(),
                        b["boxes"][k].numpy().tobytes()))
    return out


# ----------------------------------------------------------------------------- items
def test_detection_item(det):
    ds = D.FolderDataset(det, PIPE, seed=3, classes=["cat", "dog"])
    assert len(ds) == N and ds.problems == []
    x = ds[3]
    assert x["image"].dtype == np.uint8 and x["image"].shape == (H, W, 3)
    assert x["boxes"].dtype == np.float32 and x["boxes"].shape == (2, 4)
    assert x["labels"] == ["cat", "dog"]
    assert x["difficult"].tolist() == [0, 1] and x["difficult"].dtype == np.int64
    assert x["label_ids"].tolist() == [0, 1]
    assert np.isnan(x["confidence"]).all()
    assert x["source"].endswith("im3.png") and x["index"] == 3 and x["epoch"] == 0 and x["augmented"]
    # it is the pipeline's output for (seed, epoch 0, index 3)
    p = A.Pipeline.from_config(PIPE, seed=3)
    ref = p.run(ds.load(3), index=3, epoch=0).sample
    assert np.array_equal(ref.image, x["image"]) and np.array_equal(ref.boxes, x["boxes"])


def test_dataset_seed_wins_over_pipeline_seed(det):
    a = D.FolderDataset(det, {**PIPE, "seed": 1}, seed=2)[5]
    b = D.FolderDataset(det, {**PIPE, "seed": 2})[5]
    c = D.FolderDataset(det, {**PIPE, "seed": 1})[5]
    assert _items_equal(a, b) and not _items_equal(a, c)


def test_epochs_differ_and_tuple_index(det):
    ds = D.FolderDataset(det, PIPE, seed=0)
    e0 = ds[4]
    ds.set_epoch(1)
    e1 = ds[4]
    assert not _items_equal(e0, e1) or not np.array_equal(e0["image"], e1["image"])
    assert _items_equal(ds[(0, 4)], e0) and _items_equal(ds[(1, 4)], e1) and ds[-4]["index"] == 4
    with pytest.raises(IndexError):
        ds[N]


def test_bad_keys_raise_typed_errors_that_are_the_built_ins_too(det):
    from augment.errors import AugmentError, ConfigError, DatasetError, ItemIndexError, ItemKeyError

    ds = D.FolderDataset(det, PIPE, seed=0)
    for key, typed, builtin in [(N, ItemIndexError, IndexError), (-N - 1, ItemIndexError, IndexError),
                                ((0, 1, 2), ItemKeyError, TypeError), ("3", ItemKeyError, TypeError),
                                ((0, 1.5), ItemKeyError, TypeError), ((-1, 0), ConfigError, ValueError)]:
        with pytest.raises(typed) as info:
            ds[key]
        assert isinstance(info.value, builtin) and isinstance(info.value, AugmentError), key
    assert issubclass(ItemIndexError, DatasetError) and issubclass(D.LoadError, DatasetError)


def test_classification_folder_and_channels(tmp_path):
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        Image.fromarray(make_image(20, 24, seed=1)).save(tmp_path / label / "rgb.png")
        Image.fromarray(make_image(20, 24, c=None, seed=2)).save(tmp_path / label / "gray.png")
    ds = D.FolderDataset(tmp_path, [A.Flip(lr_ud="lr")], seed=0, classes=["cat", "dog"])
    assert len(ds) == 4
    items = [ds[i] for i in range(4)]
    assert [x["label"] for x in items] == ["cat", "cat", "dog", "dog"]
    assert [x["label_id"] for x in items] == [0, 0, 1, 1]
    assert all(x["image"].shape == (20, 24, 3) and x["boxes"].shape == (0, 4) for x in items)
    gray = [ds.records[i].image.endswith("gray.png") for i in range(4)].index(True)
    assert D.FolderDataset(tmp_path, None, channels=None)[gray]["image"].shape == (20, 24, 1)
    assert D.FolderDataset(tmp_path, None, channels=1)[1 - gray]["image"].shape == (20, 24, 1)
    # no pipeline = the image as read
    x = D.FolderDataset(tmp_path, None, channels=None)[gray]
    assert np.array_equal(x["image"][..., 0], make_image(20, 24, c=None, seed=2))


def test_manifest_dataset_relative_voc_usage_and_problems(det, tmp_path, monkeypatch):
    for name in ("OBS_ENDPOINT", "S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    lines = [MSample.detection(str(det / f"im{i}.png"), f"./voc/im{i}.xml", usage="TRAIN" if i < 6 else "EVAL")
             for i in range(N)]
    lines.append(MSample.detection("obs://bucket/x.png", "./voc/x.xml", usage="TRAIN"))
    lines.append(MSample(source=str(det / "im1.png"), usage="TRAIN"))  # no annotation
    (tmp_path / "voc").mkdir()
    for i in range(N):
        (tmp_path / "voc" / f"im{i}.xml").write_bytes((det / f"im{i}.xml").read_bytes())
    mpath = tmp_path / "m.manifest"
    write_manifest(lines, mpath)
    ds = D.ManifestDataset(mpath, PIPE, seed=0, usage="train")
    assert len(ds) == 6
    assert [p["reason"] for p in ds.problems] == [
        "obs://bucket/x.png: obs:// needs the OBS endpoint of its region: give --endpoint-url (endpoint_url= in "
        "Python) https://obs.<region>.myhuaweicloud.com, or set OBS_ENDPOINT",
        "image without annotation",
    ]
    ref = D.FolderDataset(det, PIPE, seed=0)
    for i in range(1, 6):  # (item 0 drops: its replacement depends on the dataset's length)
        assert _items_equal(ds[i], ref[i])
    assert ds[0]["index"] == D._stride(6)


def test_custom_decode(det):
    calls = []

    def decode(path):
        calls.append(path)
        return np.asarray(Image.open(path).convert("RGB"))

    x = D.FolderDataset(det, PIPE, seed=0, decode=decode)[2]
    y = D.FolderDataset(det, PIPE, seed=0)[2]
    assert calls and _items_equal(x, y)


# ----------------------------------------------------------------------------- dropped and unreadable
def test_drop_policy_resample_is_deterministic(det):
    ds = D.FolderDataset(det, PIPE, seed=0)
    x = ds[0]  # image 0 always drops: a replacement
    assert x["index"] != 0 and x["augmented"]
    assert _items_equal(x, D.FolderDataset(det, PIPE, seed=0)[0])
    # the replacement is not a copy of that image's own item in this epoch
    assert not np.array_equal(x["image"], ds[x["index"]]["image"])
    stride = D._stride(N)
    assert x["index"] == stride % N


def test_drop_policy_original_none_retry_and_cap(det):
    orig = D.FolderDataset(det, PIPE, seed=0, drop_policy="original")[0]
    assert orig["index"] == 0 and not orig["augmented"]
    assert np.array_equal(orig["image"], D.FolderDataset(det, None).load(0).image)
    none = D.FolderDataset(det, PIPE, seed=0, drop_policy="none")
    assert none[0] is None
    batch = AT.collate([none[0], none[1], none[2]])
    assert batch["index"].tolist() == [1, 2]
    assert AT.collate([None]) is None
    with pytest.raises(D.AllDroppedError, match="item 0 of epoch 0: all 10 attempts.*im0.png"):
        D.FolderDataset(det, PIPE, seed=0, drop_policy="retry")[0]
    with pytest.raises(D.AllDroppedError, match="all 1 attempts"):
        D.FolderDataset(det, PIPE, seed=0, max_attempts=1)[0]


def test_drop_policy_retry_keeps_the_image(tmp_path):
    Image.fromarray(make_image(H, W, seed=0)).save(tmp_path / "a.png")
    _voc(tmp_path, "a.png", [[4, 3, 36, 29]], ["cat"])  # leaves the image for larger angles only
    pipe = [A.Rotate(angle_min=-20, angle_max=20)]
    ds = D.FolderDataset(tmp_path, pipe, seed=0, drop_policy="retry", max_attempts=100)
    outs = [ds[(e, 0)] for e in range(10)]
    assert all(o["index"] == 0 and o["augmented"] for o in outs)
    assert len({o["image"].tobytes() for o in outs}) == 10
    assert D.FolderDataset(tmp_path, pipe, seed=0, drop_policy="none") is not None


def test_unreadable_image_raises_or_skips(det, tmp_path):
    for i in range(3):
        (tmp_path / f"im{i}.png").write_bytes((det / f"im{i + 1}.png").read_bytes())
        (tmp_path / f"im{i}.xml").write_bytes((det / f"im{i + 1}.xml").read_bytes())
    (tmp_path / "im1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    ds = D.FolderDataset(tmp_path, PIPE, seed=0)
    with pytest.raises(D.LoadError, match="im1.png") as err:
        ds[1]
    assert err.value.index == 1
    skip = D.FolderDataset(tmp_path, PIPE, seed=0, on_error="skip")
    x = skip[1]
    assert x["index"] != 1 and x["augmented"]
    assert D.FolderDataset(tmp_path, PIPE, seed=0, on_error="skip", drop_policy="none")[1] is None


def test_bad_boxes_are_load_errors(tmp_path):
    Image.fromarray(make_image(H, W, seed=0)).save(tmp_path / "a.png")
    _voc(tmp_path, "a.png", [[4, 3, 36 + 20, 29]], ["cat"])
    with pytest.raises(D.LoadError, match="lies outside the image"):
        D.FolderDataset(tmp_path, None)[0]
    assert D.FolderDataset(tmp_path, None, validate=False)[0]["boxes"].shape == (1, 4)


def test_bad_options():
    with pytest.raises(A.ConfigError, match="drop_policy"):
        D.AugmentedDataset([], None, drop_policy="skip")
    with pytest.raises(A.ConfigError, match="on_error"):
        D.AugmentedDataset([], None, on_error="ignore")
    with pytest.raises(A.ConfigError, match="seed"):
        D.AugmentedDataset([], None, seed=-1)


# ----------------------------------------------------------------------------- torch glue
def test_to_tensor_and_collate(det):
    ds = D.FolderDataset(det, PIPE, seed=0, classes=["cat", "dog"], transform=AT.to_tensor)
    x = ds[1]
    assert x["image"].shape == (3, H, W) and x["image"].dtype == torch.float32
    assert 0 <= float(x["image"].min()) and float(x["image"].max()) <= 1
    raw = D.FolderDataset(det, PIPE, seed=0)[1]
    assert torch.equal(x["image"], torch.from_numpy(raw["image"]).permute(2, 0, 1).float() / 255)
    u8 = AT.to_tensor(raw, dtype="uint8")["image"]
    assert u8.dtype == torch.uint8 and torch.equal(u8, torch.from_numpy(raw["image"]).permute(2, 0, 1))
    b = AT.collate([ds[1], ds[2], ds[3]])
    assert b["image"].shape == (3, 3, H, W)
    assert [t.shape for t in b["boxes"]] == [(2, 4), (1, 4), (2, 4)]
    assert b["labels"] == [["cat", "dog"], ["cat"], ["cat", "dog"]]
    assert b["label_ids"][0].tolist() == [0, 1] and b["index"].tolist() == [1, 2, 3]
    assert b["augmented"].dtype == torch.bool
    # different sizes: a list
    small = dict(ds[1], image=torch.zeros(3, 8, 8))
    assert isinstance(AT.collate([ds[1], small])["image"], list)


def test_pickle_round_trip(det):
    ds = D.FolderDataset(det, PIPE, seed=9, return_params=True)
    ds2 = pickle.loads(pickle.dumps(ds))
    a, b = ds[(2, 5)], ds2[(2, 5)]
    assert _items_equal(a, b) and a["params"] == b["params"]


def test_dataloader_same_batches_at_0_and_2_workers_and_new_epochs(det):
    ds = D.FolderDataset(det, PIPE, seed=11)
    sampler = D.EpochSampler(ds, shuffle=True, seed=5)
    runs = {}
    for workers in (0, 2):
        got = []
        for epoch in (0, 1):
            sampler.set_epoch(epoch)
            got.append(_by_source(_loader(ds, sampler=sampler, num_workers=workers)))
        runs[workers] = got
    assert runs[0] == runs[2]
    e0, e1 = runs[0]
    assert [r[1] for r in e0] != [r[1] for r in e1]  # another order
    assert {r[1:] for r in e0}.isdisjoint({r[1:] for r in e1})  # other augmentations
    # with set_epoch on the dataset (non-persistent workers start after it) and a plain shuffle
    ds.set_epoch(1)
    g = torch.Generator().manual_seed(0)
    shuffled = sorted(_by_source(_loader(ds, shuffle=True, generator=g, num_workers=2)), key=lambda r: r[2])
    assert shuffled == sorted(e1, key=lambda r: r[2])


def test_persistent_workers_follow_the_epoch_sampler(det):
    ds = D.FolderDataset(det, PIPE, seed=4)
    sampler = D.EpochSampler(ds)
    loader = _loader(ds, sampler=sampler, num_workers=2, persistent_workers=True)
    epochs = []
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        epochs.append(_by_source(loader))
    assert epochs[0] != epochs[1]
    assert {r[0] for r in epochs[1]} == {1}
    fresh = D.EpochSampler(ds, epoch=1)
    assert epochs[1] == _by_source(_loader(D.FolderDataset(det, PIPE, seed=4), sampler=fresh))


def test_spawn_workers(det):
    ds = D.FolderDataset(det, PIPE, seed=2)
    sampler = D.EpochSampler(ds, epoch=3)
    spawned = _by_source(_loader(ds, sampler=sampler, num_workers=1, multiprocessing_context="spawn"))
    assert spawned == _by_source(_loader(ds, sampler=sampler))


def test_unseeded_forked_workers_never_repeat(det):
    ds = D.FolderDataset(det, PIPE, return_params=True)  # no seed anywhere
    assert ds.seed is None
    loader = _loader(ds, sampler=[5] * 12, num_workers=2, batch_size=2)  # the same image 12 times
    params = [repr(p) for b in loader for p in b["params"]]
    assert len(params) == 12 and len(set(params)) == 12
    images = [ds[5]["image"].tobytes() for _ in range(3)]
    assert len(set(images)) == 3


def test_epoch_sampler_wraps_a_sampler():
    class S:
        def __init__(self):
            self.epoch = None

        def __iter__(self):
            return iter([2, 0, 1])

        def __len__(self):
            return 3

        def set_epoch(self, e):
            self.epoch = e

    inner = S()
    s = D.EpochSampler(inner)
    s.set_epoch(7)
    assert list(s) == [(7, 2), (7, 0), (7, 1)] and inner.epoch == 7 and len(s) == 3
    a, b = D.EpochSampler(10, shuffle=True, seed=1), D.EpochSampler(10, shuffle=True, seed=1)
    assert list(a) == list(b) and sorted(i for _, i in a) == list(range(10))
    b.set_epoch(1)
    assert list(a) != list(b)


# ----------------------------------------------------------------------------- without torch
def test_import_without_torch(det):
    code = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # import torch -> ImportError
        import augment.data as D
        ds = D.FolderDataset({str(det)!r}, {json.dumps(PIPE)!r}, seed=0)
        x = ds[(1, 2)]
        assert x["image"].shape == ({H}, {W}, 3), x["image"].shape
        import augment.torch as AT   # importable; its functions need torch
        try:
            AT.to_tensor(x)
        except ImportError as exc:
            assert "augment-manifest[torch]" in str(exc), exc
        else:
            raise SystemExit("to_tensor worked without torch")
        assert "torch" not in sys.modules or sys.modules["torch"] is None
        print("ok", x["image"].tobytes().hex()[:64])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    ref = D.FolderDataset(det, PIPE, seed=0)[(1, 2)]["image"].tobytes().hex()[:64]
    assert out.stdout.split() == ["ok", ref]
