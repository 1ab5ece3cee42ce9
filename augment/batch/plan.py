"""Plan a run: discover the inputs, name every output, cut the work into units and groups.

Names are unique by construction (:func:`assign_names`): copy ``k`` of an input is
``<stem>_aug<k><ext>`` and an ``--include-originals`` copy is ``<stem><ext>`` (a segmentation
mask beside either adds ``_mask.png``), where the stems are unique (case-insensitively) across
the inputs and never end in ``_aug<digits>`` or ``_mask`` themselves, so no original can take a
copy's or a mask's name and no two copies can share one, whatever the input names and however
many copies a later run asks for. A stem is the input's file name made safe (characters
other than letters, digits, ``-``, ``_`` and ``.`` become ``_``) and at most
:data:`MAX_STEM_BYTES` bytes of UTF-8 (a longer one is cut and given a hash of the whole, so
every legal input name fits the file system's 255-byte limit with its temporary name).
Planning is linear in the number of inputs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import storage
from .spec import LAYOUTS, RunError, RunSpec

__all__ = ["Item", "Unit", "discover", "assign_names", "units_of", "groups_of", "GROUP", "MAX_STEM_BYTES",
           "FORMATS", "assign_split"]

FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP"}
MAX_STEM_BYTES = 160
GROUP = 8  # units per group a worker does stage by stage
_COPY_TAIL = re.compile(r"_aug\d+$|_mask$", re.IGNORECASE)  # the tails of copies' and masks' names


@dataclass
class Item:
    """One input image and what it is labelled with."""

    index: int
    source: str  # as named to the user (path relative to the input folder, or the manifest's source)
    image: str | None  # local path
    kind: str  # "classification" | "detection"
    labels: list[str] = field(default_factory=list)
    voc: str | None = None
    usage: str | None = None
    problem: str | None = None  # set when the item cannot be processed
    stem: str = ""
    suffix: str = ""
    sample: Any = None  # the input manifest's line (manifest.Sample), when the input is a manifest
    notes: list[str] = field(default_factory=list)  # what the user should know (nested label folder, ...)
    split_usage: str | None = None  # the usage --split chose for this input


@dataclass(frozen=True)
class Unit:
    item: Item
    copy: int  # -1 = the original

    @property
    def key(self) -> str:
        return f"{self.item.index}:{self.copy}"

    @property
    def name(self) -> str:
        it = self.item
        return f"{it.stem}{it.suffix}" if self.copy < 0 else f"{it.stem}_aug{self.copy}{it.suffix}"


# --------------------------------------------------------------------------- discovery
def discover(input_path: str | os.PathLike, layout: str = "auto", *, base: str | os.PathLike | None = None
             ) -> tuple[str, list[Item], list[dict], str]:
    """``(layout, items, other_files, why)`` for an input folder or manifest.

    ``other_files`` are the files under a folder that are not inputs (an annotation without image,
    a ``.gif``, a FIFO, a hidden file, a dangling link), each with its reason; ``why`` says how the
    layout was chosen. ``base``: the folder a manifest's relative paths are resolved against
    (default: the manifest's folder)."""
    from manifest import ManifestError, read_manifest

    if layout not in LAYOUTS:
        raise RunError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    url = os.fspath(input_path)
    remote = storage.is_url(url)
    if remote:
        what = storage.check_input(url)
        path = Path(url)  # a folder is read through its mirror below
        is_file = what == "file"
    else:
        path = Path(input_path)
        if not path.exists():
            raise RunError(f"{path}: no such file or folder")
        is_file = path.is_file()
    kind = layout if layout != "auto" else ("manifest" if is_file else "auto-folder")
    if remote and not is_file:
        if kind == "manifest":
            raise RunError(f"{url}: --layout manifest needs a manifest file, not a folder")
        with mirrored_folder(url) as mirror:
            return _discover_folder(mirror, kind, layout, base, mirror_of=url)
    if kind == "manifest":
        if not is_file:
            raise RunError(f"{path}: --layout manifest needs a manifest file, not a folder")
        try:
            m = read_manifest(storage.NamedBytes(storage.read(url), url) if remote else path, strict=False)
        except (ManifestError, OSError) as exc:
            raise RunError(f"{input_path}: cannot read the manifest: {exc}") from None
        if base is not None and not (storage.is_url(base) or Path(base).is_dir()):
            raise RunError(f"--base {base}: not a folder")
        # relative paths are joined to the folder of the anchor
        anchor: str | None = storage.join(os.fspath(base), "manifest") if base is not None else os.fspath(input_path)
        why = f"a manifest of {len(m)} lines"
        return _items_of(m, "manifest", path, anchor, base, {}, [], why)
    return _discover_folder(path, kind, layout, base)


def _discover_folder(path: Path, kind: str, layout: str, base: Any, mirror_of: str | None = None
                     ) -> tuple[str, list[Item], list[dict], str]:
    from manifest import ManifestError
    from manifest.layouts import from_folder

    info: dict = {}
    if base is not None:
        raise RunError("--base applies to a manifest input, not to a folder")
    if not path.is_dir():
        raise RunError(f"{path}: a {layout} layout needs a folder")
    try:
        # images and VOC files are read (and their problems reported) when each unit is done
        m = from_folder(path, "auto" if kind == "auto-folder" else kind, check_images=False,
                        check_annotations=False, info=info)
    except ManifestError as exc:
        raise RunError(_unmirrored(str(exc), path, mirror_of)) from None
    why = info.get("why") or f"--layout {kind}"
    return _items_of(m, kind, path, None, base, info, [], why, mirror_of)


def _items_of(m: Any, kind: str, path: Path, anchor: str | None, base: Any, info: dict, problems: list[dict],
              why: str, mirror_of: str | None = None) -> tuple[str, list[Item], list[dict], str]:
    """The items of a manifest (``kind == "manifest"``, sources resolved against ``anchor``) or of a
    folder read into manifest samples; ``mirror_of``: the URL of a remote folder whose listing
    ``path`` mirrors (every path is named by its URL)."""
    from manifest.errors import LayoutError

    for err in getattr(m, "errors", []) or []:
        problems.append({"source": str(getattr(err, "path", "") or ""),
                         "reason": err.reason if isinstance(err, LayoutError) else str(err),
                         **({"unused": True} if type(err).__name__ == "UnusedFileError" else {})})
    items = []
    folder_images = {}
    unsupported: dict[str, str | None] = {}
    for i, s in enumerate(m):
        src = s.source
        local = storage.resolve(src, anchor) if anchor is not None else src
        shown = os.path.relpath(local, path) if kind != "manifest" and not storage.is_url(local) else src
        vocs = [storage.resolve(loc, anchor) if anchor is not None else loc for loc in s.annotation_locs]
        item = Item(i, shown, local, "detection" if vocs else "classification", list(s.labels),
                    vocs[0] if vocs else None, s.usage, sample=s if kind == "manifest" else None)
        why_not = next(filter(None, (storage.unusable(loc, unsupported) for loc in (local, *vocs[:1]))), None)
        if why_not:
            item.problem = why_not
        elif not vocs and not item.labels:
            item.problem = "image without annotation"
        elif len(vocs) > 1:
            item.problem = f"{len(vocs)} VOC annotations for one image; only one is supported"
        elif kind == "manifest" and not storage.is_url(local) and not os.path.exists(local):
            item.problem = _missing_source_reason(src, local, path, base)
        if kind != "manifest":
            item.notes.extend(info.get("notes", {}).get(src, ()))
            folder_images[os.path.normcase(os.path.abspath(local))] = item
        items.append(item)
    if kind != "manifest":
        _images_left_out(path, items, problems, folder_images)
        if mirror_of is not None:
            _name_by_url(items, problems, path, mirror_of)
        items = _without_masks(items, problems)
    final = "manifest" if kind == "manifest" else (
        "detection" if any(it.kind == "detection" for it in items) else "classification")
    assign_names(items)
    return final, items, problems, why


# labels are read from .txt files, VOC heads for <mask_source>; images are only listed
_MIRRORED_CONTENT = (".txt",)
_MIRROR_BATCH = 256


@contextlib.contextmanager
def mirrored_folder(url: str) -> Iterator[Path]:
    """A local mirror of the folder ``url`` (see :func:`_mirror_listing`) for the folder reader
    (:func:`manifest.from_folder` with ``check_annotations=False``: the mirrored VOC files are
    empty), its log lines naming the URLs; removed on exit. :class:`RunError` for an empty folder."""
    path = Path(tempfile.mkdtemp(prefix="augment-listing-"))
    renamed = _RenameInLogs(str(path), url.rstrip("/"))
    logger = logging.getLogger("manifest.layouts")
    try:
        _mirror_listing(url, path)
        logger.addFilter(renamed)
        yield path
    finally:
        logger.removeFilter(renamed)
        shutil.rmtree(path, ignore_errors=True)


def unmirrored(text: str, mirror: Path, url: str) -> str:
    """``text`` (a path, a message) with the mirror's paths named by their URLs."""
    return text.replace(str(mirror), url.rstrip("/"))


def _mirror_listing(url: str, into: Path) -> None:
    """A local tree of the objects under the folder ``url``, for the folder reader: every object as
    an empty file, and the small files it reads (label ``.txt`` files) with their bytes; the folder
    rules are then the same for local and remote folders."""
    objects = storage.listing(url)
    if not objects:
        raise RunError(f"{url}: no objects under this folder")
    wanted = []
    made: set[str] = set()
    base = url.rstrip("/") + "/"
    for rel, size in objects:
        if rel.startswith("/") or ".." in rel.split("/"):
            continue  # not a name inside the folder
        target = into / rel
        parent = str(target.parent)
        try:
            if parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
            target.touch()
        except OSError as exc:  # "a" and "a/b" both objects, a name too long for this disk
            raise RunError(f"{base + rel}: this object's name cannot be read as a folder tree here "
                           f"({exc.strerror or exc}); rename it or give a manifest") from None
        if rel.lower().endswith(_MIRRORED_CONTENT) and size <= (1 << 20):
            wanted.append(rel)
    try:
        for i in range(0, len(wanted), _MIRROR_BATCH):
            storage.prefetch([base + r for r in wanted[i:i + _MIRROR_BATCH]], 1 << 20)
            for rel in wanted[i:i + _MIRROR_BATCH]:
                try:
                    (into / rel).write_bytes(storage.read(base + rel, 1 << 20))
                except OSError as exc:
                    raise RunError(f"{base + rel}: cannot read the label file: {exc}") from None
    finally:
        storage.drop_prefetched()  # what a failed batch left unread


class _RenameInLogs(logging.Filter):
    """The folder reader's log lines about a mirrored listing name the URLs, not the mirror."""

    def __init__(self, mirror: str, url: str) -> None:
        super().__init__()
        self.mirror, self.url = mirror, url

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.mirror in text:
            record.msg, record.args = text.replace(self.mirror, self.url), None
        return True


def _unmirrored(text: str, mirror: Path, url: str | None) -> str:
    return text if url is None else unmirrored(text, mirror, url)


def _name_by_url(items: list[Item], problems: list[dict], mirror: Path, url: str) -> None:
    """Items and reports of a mirrored listing named by their URLs instead of the mirror's paths."""
    root = str(mirror)
    base = url.rstrip("/")

    def to_url(p: str | None) -> str | None:
        if not p:
            return p
        p = os.path.abspath(p)
        return base + "/" + os.path.relpath(p, root).replace(os.sep, "/") if p.startswith(root) else p

    for it in items:
        it.image, it.voc = to_url(it.image), to_url(it.voc)
        if it.problem:
            it.problem = _unmirrored(it.problem, mirror, url)
        it.notes = [_unmirrored(n, mirror, url) for n in it.notes]
    for pr in problems:
        pr["source"] = to_url(pr["source"]) or pr["source"]
        pr["reason"] = _unmirrored(pr["reason"], mirror, url)


def _missing_source_reason(src: str, local: str, manifest: Path, base: Any) -> str:
    if os.path.isabs(src) or base is not None:
        return f"cannot read file: {local} does not exist"
    cwd = os.path.normpath(os.path.join(os.getcwd(), src))
    hint = (f"; it exists relative to the current folder ({cwd}): "
            "add --base . if the manifest was written relative to it") if os.path.exists(cwd) else (
        "; if the manifest was written relative to another folder, give it with --base DIR")
    return (f"cannot read file: {local} does not exist (relative sources are resolved against the "
            f"manifest's folder {manifest.resolve().parent}){hint}")


def _images_left_out(root: Path, items: list[Item], problems: list[dict], seen: dict) -> None:
    """Images that the folder reader reported instead of returning (beside an unreadable label
    file, say) become failed items, so that every image under the folder is in the summary with its
    reason; the other reported files stay in ``other_files``."""
    from manifest.layouts import IMAGE_EXTENSIONS

    kept = []
    for pr in problems:
        src = pr["source"]
        key = os.path.normcase(os.path.abspath(src)) if src else None
        if key is not None and key in seen:
            continue  # an input already, with its own reason
        if key is not None and os.path.splitext(src)[1].lower() in IMAGE_EXTENSIONS and os.path.isfile(src) \
                and not pr.get("unused"):
            stem = os.path.splitext(src)[0]
            kind = "detection" if os.path.exists(stem + ".xml") else "classification"
            items.append(Item(len(items), os.path.relpath(src, root), src, kind, problem=pr["reason"]))
            seen[os.path.normcase(os.path.abspath(src))] = items[-1]
        else:
            kept.append(pr)
    problems[:] = kept


_MASK_SOURCE = re.compile(rb"<mask_source>\s*([^<]*?)\s*</mask_source>")


def _without_masks(items: list[Item], problems: list[dict]) -> list[Item]:
    """A segmentation folder holds its masks as images too (``masks/a.png`` beside ``a.jpg`` and
    ``a.xml``): images without annotation that a VOC file names as its ``<mask_source>`` are not
    inputs but part of one, listed in ``other_files`` as such. VOC files are only searched when some
    image has no annotation (a byte search, no parsing)."""
    orphans = {_key(it.image): it for it in items if it.problem == "image without annotation" and it.image}
    if not orphans:
        return items
    from ..vocshapes import mask_path

    used: dict[str, str] = {}
    vocs = [it for it in items if it.voc]
    for start in range(0, len(vocs), _MIRROR_BATCH):
        batch = vocs[start:start + _MIRROR_BATCH]
        storage.prefetch([it.voc for it in batch], None)
        for it in batch:
            assert it.voc is not None
            try:
                head = storage.read(it.voc, None)[: 1 << 20] if storage.is_url(it.voc) else _head(it.voc)
            except OSError:
                continue
            for m in _MASK_SOURCE.finditer(head):
                found = mask_path(m.group(1).decode("utf-8", "replace"), it.voc)
                used[_key(found)] = it.source
        storage.drop_prefetched()
    masks = {key for key in orphans if key in used}
    if not masks:
        return items
    for key in sorted(masks):
        problems.append({"source": orphans[key].image, "reason": f"segmentation mask of {used[key]}, used with it",
                         "unused": True})
    kept = [it for it in items if not (it.image and _key(it.image) in masks)]
    for i, it in enumerate(kept):
        it.index = i
    return kept


def _key(loc: str) -> str:
    return loc if storage.is_url(loc) else os.path.normcase(os.path.abspath(loc))


def _head(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(1 << 20)


# --------------------------------------------------------------------------- names
_UNSAFE = re.compile(r"[^\w\-.]")  # \w: letters and digits of any script, and _


def _safe_stem(stem: str) -> str:
    s = _UNSAFE.sub("_", stem).strip(".") or "image"
    raw = s.encode("utf-8")
    if len(raw) > MAX_STEM_BYTES:
        digest = f"{zlib.crc32(raw):08x}"
        s = raw[:MAX_STEM_BYTES - 9].decode("utf-8", "ignore") + "-" + digest
    if _COPY_TAIL.search(s):
        s += "_"  # 'a_aug0' stays apart from copy 0 of 'a'
    return s


def assign_names(items: Sequence[Item]) -> None:
    """Unique output stems, in input order (so names do not depend on workers or timing); near
    linear however many inputs share a stem."""
    taken: set[str] = set()
    next_k: dict[str, int] = {}
    for it in items:
        base, suffix = os.path.splitext(os.path.basename(it.image or it.source))
        if not base and suffix:  # '.jpg' is a stem, as pathlib says
            base, suffix = suffix, ""
        it.suffix = suffix if suffix.lower() in FORMATS else ".png"
        stem = _safe_stem(base)
        key = stem.lower()
        if key in taken:
            k = next_k.get(key, 1)
            while f"{key}-{k}" in taken:
                k += 1
            next_k[key] = k + 1
            stem, key = f"{stem}-{k}", f"{key}-{k}"
        taken.add(key)
        it.stem = stem


# --------------------------------------------------------------------------- split
def assign_split(items: Sequence[Item], split: Sequence[tuple[str, float]], seed: int) -> None:
    """Give every input a usage from ``split`` (``(("TRAIN", 0.8), ("EVAL", 0.2))``), per original
    input so that all its copies share a set, stratified by label (the sorted label names of a
    classification input; detection inputs form one stratum, their labels are in their VOC files):
    in each stratum the shares are rounded by largest remainder over a seeded shuffle. The same
    seed and inputs give the same split, whatever ``--copies`` or the workers."""
    import numpy as np

    strata: dict[tuple, list[Item]] = {}
    for it in items:
        strata.setdefault((it.kind, tuple(sorted(it.labels)) if it.kind == "classification" else ()), []).append(it)
    names = [n for n, _ in split]
    shares = np.array([s for _, s in split], float)
    for key in sorted(strata):
        group = strata[key]
        rng = np.random.default_rng([seed % 2**63, zlib.crc32(repr(key).encode())])
        order = rng.permutation(len(group))
        exact = shares * len(group)
        counts = np.floor(exact).astype(int)
        for j in np.argsort(-(exact - counts), kind="stable")[: len(group) - counts.sum()]:
            counts[j] += 1
        bounds = np.cumsum(counts)
        for pos, i in enumerate(order):
            group[i].split_usage = names[int(np.searchsorted(bounds, pos, side="right"))]


# --------------------------------------------------------------------------- units and groups
def units_of(items: Sequence[Item], spec: RunSpec) -> list[Unit]:
    out = []
    for it in items:
        if spec.include_originals:
            out.append(Unit(it, -1))
        out.extend(Unit(it, k) for k in range(spec.copies))
    return out


def groups_of(todo: list[Unit], workers: int, group: int | None = None) -> list[list[Unit]]:
    """Groups of up to :data:`GROUP` units, smaller when there are few units (so that every worker
    gets several groups and an interruption loses little), and pairs for the last groups of each
    worker (so that the workers finish together instead of one waiting for another's last group)."""
    size = max(1, min(GROUP if group is None else group, len(todo) // (workers * 4)))
    tail = min(len(todo), workers * size) if workers > 1 and size > 2 else 0
    head = len(todo) - tail
    groups = [todo[i:min(i + size, head)] for i in range(0, head, size)]
    return groups + [todo[i:i + 2] for i in range(head, len(todo), 2)]
