"""ModelArts' folder import layouts <-> manifest samples.

The layouts (manifest-spec §10, "Specifications for Importing Data from an OBS Directory"):

* **ModelArts imageNet 1.0** (``classification``): one sub-folder per label,
  ``root/Cat/1.jpg``; the label is the name of the top-level folder under ``root`` holding the
  image (an image in a nested folder, ``root/cat/persian/p.jpg``, is labelled ``cat``, as
  torchvision's ``ImageFolder`` does, and the sample gets a note saying so);
* **ModelArts image classification 1.0** (``classification``): ``root/1.jpg`` beside
  ``root/1.txt`` holding one label per line (several lines = multi-label);
* **ModelArts PASCAL VOC 1.0** (``detection``): ``x.jpg`` beside ``x.xml`` in one folder.

Images are ``.jpg``, ``.jpeg``, ``.png`` and ``.bmp`` (any case), the formats ModelArts imports.
``layout="auto"`` picks ``detection`` when at least half of the images have a same-name ``.xml``
beside them, else ``classification`` (both classification forms may be mixed in one folder); the
``info`` dict of :func:`from_folder` says why.

Links are followed, to files and folders, wherever they point; an input is named and labelled by
its path inside the folder, never by its target's. Nothing is dropped silently: every file under
the folder is an input or is reported in ``errors`` with the reason. An image without annotation
becomes an unlabeled sample *and* a :class:`~manifest.errors.LayoutError`; an annotation without
image, an unreadable or malformed annotation, and a file that is not the image its extension says
(checked from its first bytes) are reported and left out; files that are simply not inputs
(``.gif``/``.tif``/``.webp`` images, other files, hidden files and folders, FIFOs and devices,
dangling links, link cycles) are reported as :class:`UnusedFileError`. ``strict=True`` raises the
first problem (not the unused files) instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .dataset import Manifest, is_remote, resolve_loc
from .errors import LayoutError, ManifestError, UnusedFileError
from .model import Sample
from .voc import read_voc, write_voc

__all__ = ["from_folder", "to_folder", "choose_layout", "UnusedFileError", "IMAGE_EXTENSIONS", "LAYOUTS"]

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
OTHER_IMAGE_EXTENSIONS = (".gif", ".tif", ".tiff", ".webp", ".heic", ".heif", ".jfif", ".jp2", ".ppm", ".pgm",
                          ".pbm", ".ico", ".avif", ".dng", ".raw", ".cr2", ".nef", ".svg")
LAYOUTS = ("auto", "classification", "detection")
MAX_LABEL_FILE_BYTES = 1 << 20
_MAGIC = {
    ".jpg": (b"\xff\xd8",),
    ".jpeg": (b"\xff\xd8",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".bmp": (b"BM",),
}


class _Collector:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.errors: list[LayoutError] = []

    def add(self, reason: str, path: Any, *, copied: bool = False) -> None:
        err = LayoutError(reason, path)
        err.copied = copied  # type: ignore[attr-defined]  # to_folder: the sample was still copied
        if self.strict:
            raise err
        log.warning("%s", err)
        self.errors.append(err)

    def unused(self, reason: str, path: Any) -> None:
        log.info("%s: %s", path, reason)
        self.errors.append(UnusedFileError(reason, path))


def _is_image(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_EXTENSIONS


def _image_ok(p: Path, problems: _Collector) -> bool:
    try:
        with open(p, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        problems.add(f"unreadable image: {exc.strerror or exc}", p)
        return False
    if not any(head.startswith(m) for m in _MAGIC[p.suffix.lower()]):
        problems.add(f"not a {p.suffix.lower()[1:].upper()} image (unexpected first bytes)", p)
        return False
    return True


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def not_regular(mode: int) -> str | None:
    """What a non-regular, non-folder file is ("a FIFO", ...), or ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _walk(root: Path, problems: _Collector) -> list[Path]:
    """Every regular file under ``root``, in sorted order, named by its path inside ``root``.

    Links are followed, to files and to folders, wherever they point (as ``os.walk(followlinks=True)``
    and torchvision's ``ImageFolder`` do); a file keeps its name inside the folder, never its
    target's. Reported instead (``UnusedFileError``): hidden files and folders (names starting with
    ``.``), FIFOs, sockets and devices (never opened: reading one can hang or never end), links
    whose target is missing, and links back into a folder being walked (a cycle)."""
    out: list[Path] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, (os.path.realpath(root),))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.add(f"unreadable folder: {exc.strerror or exc}", folder)
            continue
        subdirs: list[tuple[Path, tuple[str, ...]]] = []
        for e in entries:
            p = Path(e.path)
            try:
                st = os.stat(p)  # follows links
            except OSError as exc:
                if e.is_symlink():
                    problems.unused(f"a link to {os.readlink(p)!r}, which does not exist", p)
                else:
                    problems.add(f"unreadable: {exc.strerror or exc}", p)
                continue
            hidden = e.name.startswith(".")
            if stat.S_ISDIR(st.st_mode):
                real = os.path.realpath(p)
                if hidden:
                    problems.unused("hidden folder, not read", p)
                elif real in ancestors:
                    problems.unused(f"a link back to {real}, a folder above it (a cycle): not followed", p)
                else:
                    subdirs.append((p, (*ancestors, real)))
                continue
            kind = not_regular(st.st_mode)
            if kind is not None:
                problems.unused(f"{kind}, not read", p)
            elif hidden:
                problems.unused("hidden file, not used", p)
            else:
                out.append(p)
        stack.extend(reversed(subdirs))
    return out


class RealPaths:
    """``os.path.realpath`` for many files of a few folders: each folder is resolved once, and a
    file on its own only when it is a symbolic link (one ``lstat`` instead of one per component)."""

    def __init__(self) -> None:
        self.dirs: dict[str, str] = {}

    def __call__(self, p: str | os.PathLike) -> str:
        p = os.fspath(p)
        if os.path.islink(p):
            return os.path.realpath(p)
        head, tail = os.path.split(os.path.abspath(p))
        d = self.dirs.get(head)
        if d is None:
            d = self.dirs[head] = os.path.realpath(head)
        return os.path.join(d, tail)


def _loc(p: Path, relative_to: Path | None, resolve: RealPaths) -> str:
    if relative_to is None:
        return Path(os.path.abspath(p)).as_posix()  # the name inside the folder, links not resolved
    rel = os.path.relpath(resolve(p), relative_to)  # the caller passes relative_to resolved
    return "./" + Path(rel).as_posix()


def choose_layout(root: Path, files: list[Path]) -> tuple[str, str]:
    """``(layout, why)`` for ``layout="auto"``: detection when at least half of the images have a
    same-name ``.xml`` beside them, else classification. One stray ``.xml`` does not turn a
    classification folder into a detection one."""
    present = {(f.parent, f.stem.lower()) for f in files if f.suffix.lower() == ".xml"}
    images = [f for f in files if _is_image(f)]
    paired = sum((f.parent, f.stem.lower()) in present for f in images)
    if images and 2 * paired >= len(images):
        return "detection", f"detection: {paired} of {len(images)} images have a VOC .xml beside them"
    how = f"{paired} of {len(images)} images have a VOC .xml beside them" if present else "no VOC .xml files"
    return "classification", f"classification: {how}"


def from_folder(
    path: str | os.PathLike,
    layout: str = "auto",
    *,
    usage: str | None = None,
    relative_to: str | os.PathLike | None = None,
    strict: bool = False,
    check_images: bool = True,
    check_annotations: bool = True,
    info: dict | None = None,
) -> Manifest:
    """Samples for a folder in one of ModelArts' import layouts (see the module docstring).

    ``source`` / ``annotation-loc`` are absolute paths, or ``./``-relative to ``relative_to``
    (the folder the manifest will be written to). ``usage`` is set on every sample when
    given. Problems are in the returned manifest's ``errors``, every file that is not an input
    among them (:class:`UnusedFileError`, with the reason). ``check_images`` /
    ``check_annotations`` (default on) read each image header / VOC file to report unreadable ones
    here; a caller that reads them anyway (the batch job) turns them off and reports them itself.
    ``info``, a dict when given, receives ``layout`` and ``why`` (how it was chosen) and ``notes``
    (``{source: [note, ...]}``, e.g. for an image in a nested label folder).
    """
    if layout not in LAYOUTS:
        raise LayoutError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}", path)
    root = Path(path)
    if not root.is_dir():
        raise LayoutError("not a folder", path)
    rel = None if relative_to is None else Path(relative_to)
    problems = _Collector(strict)
    files = _walk(root, problems)
    if layout == "auto":
        layout, why = choose_layout(root, files)
        log.info("%s: layout %s", root, why)
    else:
        why = f"{layout}: as asked"
    notes: dict[str, list[str]] = {}
    if info is not None:
        info.update(layout=layout, why=why, notes=notes)
    images = [f for f in files if _is_image(f)]
    stems = {(f.parent, f.stem) for f in images}
    side_ext = ".xml" if layout == "detection" else ".txt"
    for f in files:
        suffix = f.suffix.lower()
        if _is_image(f):
            continue
        if suffix == side_ext and (f.parent, f.stem) not in stems:
            if layout == "classification" and f.parent != root:
                problems.unused("text file in a label folder, not used (the folder name is the label)", f)
            else:
                problems.add("annotation without image", f)
        elif suffix == side_ext:
            if layout == "classification" and f.parent != root:
                problems.unused("text file in a label folder, not used (the folder name is the label)", f)
        elif suffix in OTHER_IMAGE_EXTENSIONS:
            problems.unused(f"{suffix} images are not imported by ModelArts (it takes .jpg, .jpeg, .png "
                            "and .bmp): convert it to use it", f)
        elif suffix == ".xml":
            problems.unused(f"VOC annotation in a folder read as {why}; give --layout detection to use it", f)
        elif suffix == ".txt":
            problems.unused(f"label file in a folder read as {why}, not used", f)
        else:
            problems.unused("not an image or annotation", f)
    samples: list[Sample] = []
    present = set(files)
    resolve = RealPaths()
    if rel is not None:
        rel = Path(rel.resolve())
    for img in images:
        if check_images and not _image_ok(img, problems):
            continue
        side = img.with_suffix(side_ext)
        if side not in present:
            upper = img.with_suffix(side_ext.upper())
            side = upper if upper in present else side
        src = _loc(img, rel, resolve)
        if layout == "detection":
            s = _detection_sample(img, side, src, rel, problems, check_annotations, present, resolve)
        else:
            s = _classification_sample(root, img, side, src, problems, present, notes)
        if s is not None:
            if usage is not None:
                s.usage = usage.upper()
            samples.append(s)
    return Manifest(samples, errors=problems.errors)


def _detection_sample(img: Path, xml: Path, src: str, rel: Path | None, problems: _Collector,
                      check: bool, present: set, resolve: RealPaths) -> Sample | None:
    if xml not in present:
        problems.add("image without annotation (no .xml beside it): kept as unlabeled", img)
        return Sample(source=src)
    if check:
        try:
            read_voc(xml)
        except ManifestError as exc:
            problems.add(f"unreadable annotation: {exc}", xml)
            return None
    return Sample.detection(src, _loc(xml, rel, resolve))


def _classification_sample(root: Path, img: Path, txt: Path, src: str, problems: _Collector,
                           present: set, notes: dict) -> Sample | None:
    if img.parent != root:
        parts = img.relative_to(root).parts
        if len(parts) > 2:
            notes.setdefault(src, []).append(
                f"in a nested folder: labelled {parts[0]!r}, its top-level folder under the input "
                f"(as torchvision's ImageFolder does), not {parts[-2]!r}")
        return Sample.classification(src, [parts[0]])
    if txt not in present:
        problems.add("image without annotation (no label folder, no .txt): kept as unlabeled", img)
        return Sample(source=src)
    try:
        if os.path.getsize(txt) > MAX_LABEL_FILE_BYTES:
            raise OSError(f"over {MAX_LABEL_FILE_BYTES >> 20} MB, not a label file")
        text = txt.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(f"unreadable label file: {exc}", txt)
        return None
    labels = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not labels:
        problems.add("empty label file: kept as unlabeled", txt)
        return Sample(source=src)
    return Sample.classification(src, labels)


# ---------------------------------------------------------------------- to a folder
def _unique(path: Path, taken: set) -> Path:
    cand = path
    i = 1
    while cand in taken or cand.exists():
        cand = path.with_name(f"{path.stem}_{i}{path.suffix}")
        i += 1
    taken.add(cand)
    return cand


def _safe_label(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def to_folder(
    samples: Iterable[Sample],
    out_dir: str | os.PathLike,
    layout: str = "classification",
    *,
    manifest_path: str | os.PathLike | None = None,
    label_files: bool = False,
    strict: bool = False,
) -> list[LayoutError]:
    """Copy a manifest's local images (and VOC files) into a ModelArts import layout.

    ``layout="classification"``: one sub-folder per label (imageNet 1.0); with
    ``label_files=True``, image + ``.txt`` pairs instead (image classification 1.0, the form
    for multi-label samples). ``layout="detection"``: image + ``.xml`` pairs, the VOC
    ``<filename>`` updated to the copied image's name. Relative sources are resolved against
    ``manifest_path``'s folder. Remote sources (``obs://``, ``s3://``), samples without a
    usable label and name clashes are reported in the returned list (clashes are renamed
    ``name_1.jpg``); nothing is overwritten.
    """
    if layout not in ("classification", "detection"):
        raise LayoutError(f"unknown layout {layout!r}; expected classification or detection", out_dir)
    if isinstance(samples, Manifest) and manifest_path is None:
        manifest_path = samples.path
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problems = _Collector(strict)
    taken: set = set()
    for s in samples:
        if is_remote(s.source):
            problems.add(f"remote source not copied: {s.source}", manifest_path)
            continue
        src = Path(resolve_loc(s.source, manifest_path))
        if not src.is_file():
            problems.add(f"image not found: {src}", manifest_path)
            continue
        if layout == "detection":
            _to_detection(s, src, out, manifest_path, taken, problems)
            continue
        names = s.labels
        if not names:
            problems.add(f"no label, not copied: {s.source}", manifest_path)
            continue
        bad = [n for n in names if not _safe_label(n)]
        if bad:
            problems.add(f"label {bad[0]!r} cannot be a file or folder name: {s.source}", manifest_path)
            continue
        if label_files:
            dst = _unique(out / src.name, taken)
            shutil.copy2(src, dst)
            dst.with_suffix(".txt").write_text("\n".join(names) + "\n", encoding="utf-8")
        elif len(names) != 1:
            problems.add(
                f"{len(names)} labels, a label folder holds one (use label_files): {s.source}",
                manifest_path,
            )
        else:
            (out / names[0]).mkdir(exist_ok=True)
            shutil.copy2(src, _unique(out / names[0] / src.name, taken))
    return problems.errors


def _to_detection(s: Sample, src: Path, out: Path, manifest_path: Any, taken: set, problems: _Collector) -> None:
    locs = s.annotation_locs
    stem, i = src.stem, 0
    while stem in taken or (out / (stem + src.suffix)).exists() or (out / (stem + ".xml")).exists():
        i += 1
        stem = f"{src.stem}_{i}"
    taken.add(stem)
    dst = out / (stem + src.suffix)
    if not locs:
        shutil.copy2(src, dst)
        problems.add(f"no annotation-loc, image copied without .xml: {s.source}", manifest_path, copied=True)
        return
    if len(locs) > 1:
        problems.add(f"{len(locs)} VOC files for one image; only the first is used: {s.source}", manifest_path,
                     copied=True)
    loc = resolve_loc(locs[0], manifest_path)
    if is_remote(loc):
        problems.add(f"remote annotation not copied: {loc}", manifest_path)
        return
    try:
        ann = read_voc(loc)
    except ManifestError as exc:
        problems.add(f"unreadable annotation: {exc}", manifest_path)
        return
    shutil.copy2(src, dst)
    if ann.filename != dst.name:
        ann.filename = dst.name
    write_voc(ann, dst.with_suffix(".xml"))
