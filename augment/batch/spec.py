"""What decides a run's output (:class:`RunSpec`) and the run's own errors."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..errors import FatalRunError, Interrupted, RunError
from ..imageio import DEFAULT_MAX_PIXELS

__all__ = ["RunSpec", "RunError", "FatalRunError", "Interrupted", "LAYOUTS", "USAGES", "EXIF_BOXES"]

LAYOUTS = ("auto", "classification", "detection", "manifest")
USAGES = ("TRAIN", "EVAL", "TEST", "INFERENCE", "inherit")
EXIF_BOXES = ("auto", "upright", "stored")


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides the output of a run.

    ``usage``: the ``usage`` of every output line (``TRAIN``, ``EVAL``, ``TEST``, ``INFERENCE``,
    or ``"inherit"``: the input manifest line's own); ``None`` = ``TRAIN`` for folders and
    ``inherit`` for manifests. ``split``: ``(("TRAIN", 0.8), ("EVAL", 0.2))`` assigns the usage per
    *original* input, stratified by label (it overrides ``usage``). ``base``: the folder relative
    ``source`` / ``annotation-loc`` values of a manifest are resolved against (default: the
    manifest's own folder, ModelArts' rule). ``exif_boxes``: which view a VOC file was drawn on
    when the image has an EXIF orientation and the VOC size cannot tell (``auto``: the size
    decides, else the upright view; see :mod:`augment.annotations`). ``other_shapes``: VOC
    objects that are not boxes (polygons, lines, points, circles) move with the image (``move``),
    or become their bounding box (``bbox``), or make the file fail (``error``). ``empty``: a
    detection copy left with no object (all of them left the image) is ``drop``-ped (reported:
    most detection loaders refuse a VOC file without ``<object>``) or written (``keep``).
    ``input``, ``output`` and ``base`` may be URLs (``s3://``, ``obs://``, any fsspec protocol; see
    :mod:`augment.batch.storage`); ``endpoint_url`` is the object store's endpoint.
    """

    input: str
    output: str
    pipeline: dict  # Pipeline.to_config(), seed included
    layout: str = "auto"
    copies: int = 1
    include_originals: bool = False
    quality: int = 95
    source_prefix: str | None = None
    validate: bool = True
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    other_shapes: str = "move"
    usage: str | None = None
    split: tuple[tuple[str, float], ...] | None = None
    base: str | None = None
    exif_boxes: str = "auto"
    empty: str = "drop"
    endpoint_url: str | None = None  # object storage's endpoint (where the bytes are, not what they are)

    def __post_init__(self) -> None:
        check_spec(self)

    def fingerprint(self) -> dict:
        """What must not change between an interrupted run and its resumption."""
        d = dataclasses.asdict(self)
        d["input"] = _absolute(self.input)
        if self.base is not None:
            d["base"] = _absolute(self.base)
        d.pop("endpoint_url")
        d["split"] = None if self.split is None else [list(p) for p in self.split]
        d.pop("output")
        d.pop("copies")  # more copies later is fine: copy k is the same whatever the count
        if _picks_by_table(self.pipeline):
            # SomeOf and a shuffled Sequential draw their picks from a table since 4369f90: a run
            # begun before must not be finished with other picks (it is refused as other settings)
            d["draws"] = DRAWS_VERSION
        return d


#: the version of the containers' pick draws (see fingerprint)
DRAWS_VERSION = 2


def _picks_by_table(config: object) -> bool:
    """Whether a pipeline config holds a SomeOf or a shuffled Sequential, at any depth."""
    if isinstance(config, dict):
        name = config.get("name")
        if name == "SomeOf" or (name == "Sequential" and config.get("random_order")):
            return True
        return any(_picks_by_table(v) for v in config.values())
    if isinstance(config, (list, tuple)):
        return any(_picks_by_table(v) for v in config)
    return False


def _absolute(loc: str) -> str:
    from .storage import is_url

    return loc if is_url(loc) else str(Path(loc).resolve())


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_spec(spec: RunSpec) -> None:
    """Every setting in range, or a :class:`RunError` naming it (the command line and the API
    share these rules)."""
    if spec.layout not in LAYOUTS:
        raise RunError(f"unknown layout {spec.layout!r}; expected one of {', '.join(LAYOUTS)}")
    if not _is_int(spec.copies) or not 0 <= spec.copies <= 100_000:
        raise RunError(f"copies must be a whole number from 0 to 100000 (got {spec.copies!r})")
    if not _is_int(spec.quality) or not 1 <= spec.quality <= 100:
        raise RunError(f"quality must be a whole number from 1 to 100 (got {spec.quality!r})")
    if spec.max_pixels is not None and (not _is_int(spec.max_pixels) or spec.max_pixels < 1):
        raise RunError(f"max_pixels must be a positive whole number, or None for no limit (got {spec.max_pixels!r})")
    if spec.other_shapes in ("drop", "keep"):
        raise RunError(
            f"other_shapes {spec.other_shapes!r} is gone: it lost objects ('drop') or wrote them "
            "unmoved on a moved image ('keep'); shapes now move with the image ('move', the default), "
            "or give 'bbox' (their bounding box) or 'error' (refuse the file)"
        )
    if spec.other_shapes not in ("move", "bbox", "error"):
        raise RunError(f"other_shapes must be move, bbox or error (got {spec.other_shapes!r})")
    if spec.empty not in ("drop", "keep"):
        raise RunError(f"empty must be drop or keep (got {spec.empty!r})")
    if spec.usage is not None and spec.usage not in USAGES:
        raise RunError(f"usage must be one of {', '.join(USAGES)} (got {spec.usage!r})")
    if spec.exif_boxes not in EXIF_BOXES:
        raise RunError(f"exif_boxes must be one of {', '.join(EXIF_BOXES)} (got {spec.exif_boxes!r})")
    if spec.split is not None:
        parse_split(spec.split)
    if spec.endpoint_url is not None and (not isinstance(spec.endpoint_url, str) or "://" not in spec.endpoint_url):
        raise RunError(f"endpoint_url must be a URL such as https://obs.example.com (got {spec.endpoint_url!r})")
    if not isinstance(spec.pipeline, dict):
        raise RunError(f"pipeline must be a config dict (Pipeline.to_config()), not {type(spec.pipeline).__name__}")


def parse_split(value: str | tuple | list) -> tuple[tuple[str, float], ...]:
    """``"train=0.8,eval=0.2"`` (or pairs) -> ``(("TRAIN", 0.8), ("EVAL", 0.2))``: known usages,
    each once, shares in (0, 1] that add up to 1."""
    if isinstance(value, str):
        pairs: list = []
        for part in value.split(","):
            name, eq, text = part.partition("=")
            if not eq:
                raise RunError(f"split {value!r}: expected usage=share pairs such as train=0.8,eval=0.2")
            pairs.append((name, text))
    else:
        pairs = list(value)
    out: list[tuple[str, float]] = []
    for pair in pairs:
        try:
            name, given = pair
            share = float(given)
        except (TypeError, ValueError):
            raise RunError(f"split {value!r}: {pair!r} is not usage=share") from None
        name = str(name).strip().upper()
        if name not in USAGES[:-1]:
            raise RunError(f"split {value!r}: unknown usage {name!r}; expected TRAIN, EVAL, TEST or INFERENCE")
        if not 0 < share <= 1:
            raise RunError(f"split {value!r}: the share of {name} must be in (0, 1] (got {share})")
        if name in (n for n, _ in out):
            raise RunError(f"split {value!r}: {name} given twice")
        out.append((name, share))
    if not out:
        raise RunError("split: no usage given")
    if abs(sum(s for _, s in out) - 1) > 1e-6:
        raise RunError(f"split {value!r}: the shares add up to {sum(s for _, s in out):g}, not 1")
    return tuple(out)
