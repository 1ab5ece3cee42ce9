"""Optional PyTorch glue for :mod:`augment.data`: :func:`to_tensor` and :func:`collate`.

PyTorch is imported when one of these functions is first called, not when this module is
imported; without it they raise ``ImportError`` naming the ``augment-manifest[torch]`` extra.

    from torch.utils.data import DataLoader
    import augment.data as D, augment.torch as AT

    ds = D.ManifestDataset("train.manifest", "pipeline.json", seed=0, transform=AT.to_tensor)
    sampler = D.EpochSampler(ds, shuffle=True, seed=0)
    loader = DataLoader(ds, batch_size=16, sampler=sampler, num_workers=4,
                        persistent_workers=True, collate_fn=AT.collate)

No ``worker_init_fn`` is needed: seeded datasets derive every random draw from
``(seed, epoch, index)``, unseeded ones from OS entropy per item, never from a per-process
global RNG. (OpenCV threads: see :mod:`augment.data`; set ``cv2.setNumThreads`` in the main
process, not in a forked worker.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_tensor", "collate"]

_IMAGE_DTYPES = ("float32", "uint8")


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
        raise ImportError(
            "augment.torch needs PyTorch: pip install 'augment-manifest[torch]' (or install torch)"
        ) from exc
    return torch


def _numeric(a: np.ndarray) -> bool:
    return a.dtype.kind in "biuf"


def to_tensor(sample: Any, *, dtype: Any = "float32", scale: bool = True) -> Any:
    """Tensors from a dataset item (or from one HWC image array).

    ``image`` becomes a ``(C, H, W)`` tensor: ``dtype="float32"`` (default) divided by 255 when
    ``scale`` (values in [0, 1]), or ``dtype="uint8"`` unchanged values (normalise on the GPU).
    ``boxes`` becomes float32 ``(N, 4)``; ``label_ids`` and numeric per-box fields (``difficult``,
    ...) become tensors; names, ``source`` and other values are left as they are. A new dict
    is returned; the input is not modified. Usable as the dataset's ``transform=``.
    """
    torch = _torch()
    if isinstance(dtype, str):
        if dtype not in _IMAGE_DTYPES:
            raise ValueError(f"to_tensor: dtype must be one of {_IMAGE_DTYPES} or a torch dtype, got {dtype!r}")
        dtype = getattr(torch, dtype)
    if isinstance(sample, np.ndarray):
        return _image(torch, sample, dtype, scale)
    if not isinstance(sample, dict):
        raise TypeError(f"to_tensor: expected a dataset item (dict) or an image array, got {type(sample).__name__}")
    out = dict(sample)
    for key, value in sample.items():
        if key in ("image", "mask"):
            out[key] = _image(torch, value, dtype, scale) if isinstance(value, np.ndarray) else value
        elif isinstance(value, np.ndarray) and _numeric(value):
            out[key] = torch.from_numpy(np.ascontiguousarray(value))
    return out


def _image(torch: Any, image: np.ndarray, dtype: Any, scale: bool) -> Any:
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3:
        raise ValueError(f"to_tensor: image must be (H, W, C) or (H, W), got shape {image.shape}")
    t = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    if dtype == torch.uint8:
        if t.dtype != torch.uint8:
            raise ValueError(f"to_tensor: dtype=uint8 needs a uint8 image, got {image.dtype}")
        return t
    t = t.to(dtype)
    if scale and image.dtype == np.uint8:
        t = t.div_(255)
    return t


def collate(batch: list) -> Any:
    """A ``collate_fn`` for items with a variable number of boxes.

    Items that are ``None`` (``drop_policy="none"``) are left out; a batch with none left
    gives ``None``. The result is a dict with the items' keys:

    * ``image``: one stacked tensor ``(B, ...)`` when every image has the same shape, else a
      list of tensors (numpy images are converted as they are: HWC stays HWC, so apply
      :func:`to_tensor` first for CHW);
    * ``index``, ``epoch``, ``augmented``, ``label_id`` and other numbers: a tensor ``(B,)``;
    * ``mask`` (segmentation): stacked like ``image``;
    * ``boxes``, ``labels`` and every per-box field, the shapes' flat arrays (``points``,
      ``shape_offsets``, ``shape_kinds``, ``shape_objects``, ...), ``source``, ``params``: a list
      with one entry per item (numeric arrays as tensors), since items have different counts.
    """
    torch = _torch()
    items = [b for b in batch if b is not None]
    if not items:
        return None
    first = items[0]
    if not isinstance(first, dict):
        raise TypeError(f"collate: expected dataset items (dicts), got {type(first).__name__}")
    out: dict[str, Any] = {}
    for key in first:
        values = [it[key] for it in items]
        if key in ("image", "mask"):
            tensors = [v if torch.is_tensor(v) else torch.as_tensor(np.ascontiguousarray(v)) for v in values]
            if all(t.shape == tensors[0].shape for t in tensors):
                out[key] = torch.stack(tensors)
            else:
                out[key] = tensors
        elif all(isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)) for v in values):
            out[key] = torch.tensor(values)
        else:
            out[key] = [
                torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) and _numeric(v) else v
                for v in values
            ]
    return out
