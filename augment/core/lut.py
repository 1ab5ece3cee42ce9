"""Lookup-table operators: intensity maps that a pipeline can fuse into one table.

A :class:`LutOperator` maps every colour channel of a uint8 image through one 256-entry table::

    table = op.lut(params, meta)        # np.ndarray, shape (256,), dtype uint8, or None

``None`` means "not a single table for this image" (e.g. a brightness change of Y in YCrCb on a
colour image); the operator's own :meth:`apply_image` must then run. A fourth (alpha) channel is
never mapped. Consecutive operators whose tables are not ``None`` can be applied as one table::

    fused = fuse_tables([t1, t2, t3])   # == t3[t2[t1]]
    image = apply_lut(image, fused)     # bit-identical to applying the three operators in turn

Only uint8 images have tables; other dtypes go through :meth:`LutOperator.apply_float` (the same
map on values normalised to [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..kernels.color import apply_lut, fuse_tables, value_scale
from ..structures import ImageMeta, image_meta
from .base import Operator

__all__ = ["LutOperator", "apply_lut", "fuse_tables"]


@dataclass(frozen=True, kw_only=True)
class LutOperator(Operator):
    """Base of operators that are a per-value map of the colour channels (see module docstring)."""

    def lut(self, params: Any, meta: ImageMeta) -> np.ndarray | None:
        """The ``(256,)`` uint8 table for a uint8 image described by ``meta``, or ``None``."""
        raise NotImplementedError

    def apply_float(self, values: np.ndarray, params: Any) -> np.ndarray:
        """The map on float32 values in [0, 1] (used for uint16 and float32 images)."""
        raise NotImplementedError

    def apply_image(self, image: np.ndarray, params: Any) -> np.ndarray:
        return self._lut_or_float(image, params, image_meta(image))

    def _apply_described(self, image: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        if type(self).apply_image is not LutOperator.apply_image:  # a subclass with its own kernel
            return self.apply_image(image, params)
        return self._lut_or_float(image, params, meta)

    def _lut_or_float(self, image: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        if meta.dtype == np.uint8:
            table = self.lut(params, meta)
            if table is None:
                raise NotImplementedError(f"{self.name}: lut() returned None without an apply_image override")
            return apply_lut(image, table)
        return _apply_float(self, image, params)


def _apply_float(op: LutOperator, image: np.ndarray, params: Any) -> np.ndarray:
    scale = value_scale(image.dtype)
    colour = image[..., :3] if image.ndim == 3 and image.shape[2] == 4 else image
    x = colour.astype(np.float32)
    if scale != 1.0:
        x *= np.float32(1.0 / scale)
    y = np.clip(op.apply_float(x, params), 0.0, 1.0)
    if scale != 1.0:
        y = np.round(y * np.float32(scale))
    y = y.astype(image.dtype)
    if colour is image:
        return y
    out = image.copy()
    out[..., :3] = y
    return out
