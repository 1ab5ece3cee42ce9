"""What happens to boxes that leave the image: the box policy.

After every operator, boxes (already moved by the operator) go through one policy:

``clip``
    clip every box to the canvas ``[0, W] x [0, H]``; drop boxes left with no area.
    The default for every operator except Rotate.
``drop_box``
    drop boxes whose visible fraction (area inside the canvas / area of the moved box) is below
    ``min_visibility`` or zero; clip the rest.
``drop_image``
    if any box is not inside the canvas (with a tolerance of ``TOLERANCE`` pixels for float
    rounding), the whole sample is dropped (the operator returns ``None``); otherwise boxes are
    clipped to the canvas (removing sub-tolerance overhang). ModelArts' rule for Rotate and so
    its default.

Precedence: an operator's own ``box_policy`` wins; otherwise the pipeline's ``box_policy``;
otherwise the operator's default. Labels and per-box fields are filtered with the boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..kernels.boxes import box_area, clip_boxes

__all__ = ["BoxPolicy", "CLIP", "DROP_IMAGE", "TOLERANCE", "as_policy"]

TOLERANCE = 1e-3  # pixels: how far a box may overhang before drop_image counts it as outside

_MODES = ("clip", "drop_box", "drop_image")


@dataclass(frozen=True, slots=True)
class BoxPolicy:
    """``BoxPolicy(mode="clip"|"drop_box"|"drop_image", min_visibility=0.0)``."""

    mode: str = "clip"
    min_visibility: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise ConfigError(f"box_policy: mode must be one of {', '.join(map(repr, _MODES))} (got {self.mode!r})")
        v = self.min_visibility
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise ConfigError(f"box_policy: min_visibility must be a number in [0, 1] (got {v!r})")
        if v and self.mode != "drop_box":
            raise ConfigError(f"box_policy: min_visibility applies only to mode 'drop_box' (got mode {self.mode!r})")
        object.__setattr__(self, "min_visibility", float(v))

    def apply(self, boxes: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray | None] | None:
        """``(clipped boxes, keep mask or None when all kept)``, or ``None`` to drop the image."""
        if not len(boxes):
            return boxes, None
        if self.mode == "drop_image":
            t = TOLERANCE
            inside = (
                (boxes[:, 0] >= -t) & (boxes[:, 1] >= -t) & (boxes[:, 2] <= width + t) & (boxes[:, 3] <= height + t)
            )
            if not inside.all():
                return None
            return clip_boxes(boxes, height, width), None
        clipped = clip_boxes(boxes, height, width)
        area = box_area(clipped)
        keep = area > 0
        if self.mode == "drop_box" and self.min_visibility > 0:
            full = box_area(boxes)
            with np.errstate(divide="ignore", invalid="ignore"):
                keep &= area >= self.min_visibility * full
        return clipped, (None if keep.all() else keep)

    def to_config(self) -> Any:
        return self.mode if not self.min_visibility else {"mode": self.mode, "min_visibility": self.min_visibility}


CLIP = BoxPolicy("clip")
DROP_IMAGE = BoxPolicy("drop_image")


def as_policy(value: Any) -> BoxPolicy | None:
    """Accepts None, a BoxPolicy, a mode string, or ``{"mode": ..., "min_visibility": ...}``."""
    if value is None or isinstance(value, BoxPolicy):
        return value
    if isinstance(value, str):
        return BoxPolicy(value)
    if isinstance(value, dict):
        unknown = set(value) - {"mode", "min_visibility"}
        if unknown:
            raise ConfigError(f"box_policy: unknown key(s) {sorted(unknown)}; allowed: 'mode', 'min_visibility'")
        return BoxPolicy(**value)
    raise ConfigError(f"box_policy must be 'clip', 'drop_box', 'drop_image', a dict or a BoxPolicy (got {value!r})")
