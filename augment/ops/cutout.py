"""CutOut: fill square (or rectangular) holes with a constant or Gaussian noise.

imgaug 0.4.0 ``iaa.Cutout`` is the reference. Pixels only: boxes, labels and fields pass through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np

from ..core import validate as V
from ..core.base import ALL_DTYPES, Operator, Params, register
from ..core.sampling import draw_seed, randint
from ..kernels import noise as KN
from ..kernels.color import value_scale
from ..structures import ImageMeta

__all__ = ["CutOut"]


@dataclass(frozen=True, slots=True)
class CutOutParams(Params):
    """Holes as ``(x1, y1, x2, y2)`` integer pixel rectangles (already clipped to the image), the
    fill value of each hole in uint8 units (or its noise seed for ``fill_mode="gaussian"``)."""

    holes: tuple[tuple[int, int, int, int], ...]
    fills: tuple[float, ...]
    seed: int = 0


@register
class CutOut(Operator):
    """Fill ``nb_iterations`` holes (drawn from the integers ``nb_iterations_min..max``, default 1).

    imgaug: ``iaa.Cutout()`` (defaults ``nb_iterations=1, size=0.2, squared=True,
    fill_mode="constant", cval=128``). Each hole's centre is uniform over the image (the hole may
    be cut by the border); its height is ``size * H`` with ``size`` from ``U(size_min, size_max)``,
    its width ``size2 * W`` with an independent ``size2``, or the height itself when ``squared``.
    Corners are truncated to integers as imgaug does. ``fill_mode="constant"`` fills with a value
    from ``U(cval_min, cval_max)`` (uint8 units: x257 for uint16, /255 for float32 in [0, 1]);
    ``"gaussian"`` fills with ``N(128, 128/3)`` noise, clipped (imgaug's ``_fill_rectangle_gaussian_``).
    ``fill_per_channel`` draws one value per channel. Alpha is untouched.
    """

    nb_iterations_min: Annotated[int, V.Integer(0, 1000, le="nb_iterations_max")] = 1
    nb_iterations_max: Annotated[int, V.Integer(0, 1000)] = 1
    size_min: Annotated[float, V.Number(0.0, 1.0, le="size_max")] = 0.2
    size_max: Annotated[float, V.Number(0.0, 1.0)] = 0.2
    squared: Annotated[bool, V.Flag()] = True
    fill_mode: Annotated[str, V.Choice("constant", "gaussian")] = "constant"
    cval_min: Annotated[float, V.Number(0.0, 255.0, le="cval_max")] = 128.0
    cval_max: Annotated[float, V.Number(0.0, 255.0)] = 128.0
    fill_per_channel: Annotated[bool, V.Flag()] = False

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES

    def sample(self, rng: Any, meta: ImageMeta) -> CutOutParams:
        count = randint(rng, self.nb_iterations_min, self.nb_iterations_max)
        if count == 0:
            return CutOutParams((), ())
        h, w = meta.height, meta.width
        # scalars in plain Python: the same draws, in the same order, as (count, 2) arrays
        centre = rng.random(2 * count).tolist()
        smin, smax = self.size_min, self.size_max
        sizes = None if smin == smax else rng.uniform(smin, smax, 2 * count).tolist()
        channels = meta.channels
        nval = (3 if channels == 4 else max(channels, 1)) if self.fill_per_channel else 1
        if self.cval_min == self.cval_max:
            fills = (self.cval_min,) * (count * nval)
        else:
            fills = tuple(rng.uniform(self.cval_min, self.cval_max, count * nval).tolist())
        holes = []
        for i in range(0, 2 * count, 2):
            hh = (smin if sizes is None else sizes[i]) * h
            hw = hh if self.squared else (smin if sizes is None else sizes[i + 1]) * w
            cx, cy = centre[i] * w, centre[i + 1] * h
            x1, x2 = int(cx - hw / 2), int(cx + hw / 2)
            y1, y2 = int(cy - hh / 2), int(cy + hh / 2)
            holes.append((0 if x1 < 0 else w if x1 > w else x1, 0 if y1 < 0 else h if y1 > h else y1,
                          0 if x2 < 0 else w if x2 > w else x2, 0 if y2 < 0 else h if y2 > h else y2))
        seed = draw_seed(rng) if self.fill_mode == "gaussian" else 0
        return CutOutParams(tuple(holes), fills, seed)

    def apply_image(self, image: np.ndarray, params: CutOutParams) -> np.ndarray:
        out = image.copy()
        holes = params.holes
        if not holes:
            return out
        nval = len(params.fills) // len(holes)
        if (self.fill_mode == "constant" and nval == 1 and image.dtype.type is np.uint8
                and (out.ndim == 2 or out.shape[2] != 4)):
            # the common case: one uint8 value fills every channel of the hole
            fills = params.fills
            for i, (x1, y1, x2, y2) in enumerate(holes):
                if x2 > x1 and y2 > y1:
                    out[y1:y2, x1:x2] = round(fills[i])  # half to even, as np.round
            return out
        view = out if out.ndim == 3 else out[..., None]
        colour = 3 if view.shape[2] == 4 else view.shape[2]
        full = value_scale(image.dtype)
        gen = KN.generator(params.seed) if self.fill_mode == "gaussian" else None
        for i, (x1, y1, x2, y2) in enumerate(holes):
            if x2 <= x1 or y2 <= y1:
                continue
            if gen is not None:
                shape = (y2 - y1, x2 - x1, colour if self.fill_per_channel else 1)
                vals = np.clip(gen.normal(0.5, 1 / 6, size=shape), 0.0, 1.0) * full
                if image.dtype != np.float32:
                    vals = np.round(vals)
                view[y1:y2, x1:x2, :colour] = vals.astype(image.dtype)
            else:
                scale = full / 255.0
                fill: list[float] = [v * scale for v in params.fills[i * nval:(i + 1) * nval]]
                if image.dtype != np.float32:
                    fill = [round(v) for v in fill]  # half to even, as np.round
                view[y1:y2, x1:x2, :colour] = fill[0] if nval == 1 else fill
        return out
