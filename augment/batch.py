"""The folder batch job behind ``augment run``.

Input: a classification folder (one sub-folder per label, or image + same-name ``.txt``), a
detection folder (image + same-name PASCAL VOC ``.xml``) or a manifest. Output folder::

    OUTPUT/Data/<stem>_aug<k>.<ext>     augmented images (same format as the input)
    OUTPUT/Data/<stem>_aug<k>.xml       their VOC annotations (detection)
    OUTPUT/Data/<stem>.<ext>            the originals, with --include-originals
    OUTPUT/output.manifest              every written image, ModelArts manifest
    OUTPUT/summary.json                 every input accounted for: written, dropped, failed
    OUTPUT/.augment/                    run settings and a journal, for resuming

Rules the job keeps:

* the input is never written to; an OUTPUT inside INPUT (or the same folder) is refused;
* copy ``k`` of input ``i`` is augmented as sample ``index=i``, ``epoch=k`` of the seeded pipeline,
  so the output bytes are the same whatever ``workers`` is, and asking for more copies later
  leaves the first ones unchanged; a run without a seed draws one and records it;
* every file is written to a temporary name and renamed into place; the journal records each
  finished unit, so re-running the same command after an interruption does only the rest;
* validation (on by default, ModelArts' ``do_validation``): unreadable images, bad XML, boxes
  inverted or more than ``BOX_SLACK`` pixels outside the image, and images without annotation are
  reported and skipped; boxes overhanging by less are clipped;
* EXIF orientation is applied before augmenting; when a VOC file's size matches the stored
  (unrotated) image instead, its boxes are turned with the image.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .annotations import BOX_SLACK, AnnotationError, fit_voc_boxes, read_voc_boxes
from .core.pipeline import Pipeline
from .errors import AugmentError
from .imageio import (
    DEFAULT_MAX_PIXELS,
    ImageReadError,
    ImageWriteError,
    atomic_write_bytes,
    encode_image,
    read_image,
)
from .random import fresh_seed
from .structures import Sample

__all__ = ["RunSpec", "RunError", "Interrupted", "Item", "discover", "run", "LAYOUTS", "BOX_SLACK"]

log = logging.getLogger(__name__)

LAYOUTS = ("auto", "classification", "detection", "manifest")
STATE_DIR = ".augment"
_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP"}


class RunError(AugmentError):
    """A batch run that cannot start: bad input or output folder, settings that differ from the
    run being resumed, an unreadable manifest."""


class Interrupted(AugmentError):
    """The run was stopped (Ctrl-C); what was finished is kept and a re-run completes the rest."""


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class RunSpec:
    """Everything that decides the output of a run."""

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
    other_shapes: str = "drop"

    def fingerprint(self) -> dict:
        """What must not change between an interrupted run and its resumption."""
        d = dataclasses.asdict(self)
        d["input"] = str(Path(self.input).resolve())
        d.pop("output")
        d.pop("copies")  # more copies later is fine: copy k is the same whatever the count
        return d


# --------------------------------------------------------------------------- discovery
@dataclass
class Item:
    """One input image and what it is labelled with."""

    index: int
    source: str  # as named to the user (path relative to the input, or the manifest's source)
    image: str | None  # local path
    kind: str  # "classification" | "detection"
    labels: list[str] = field(default_factory=list)
    voc: str | None = None
    usage: str | None = None
    problem: str | None = None  # set when the item cannot be processed
    stem: str = ""
    suffix: str = ""


def _layout_of(path: Path, layout: str) -> str:
    if layout != "auto":
        return layout
    if path.is_file():
        return "manifest"
    return "auto-folder"


def discover(input_path: str | os.PathLike, layout: str = "auto") -> tuple[str, list[Item], list[dict]]:
    """``(layout, items, problems)`` for an input folder or manifest. ``problems`` are files
    that are not items (an annotation without image, an unreadable label file), with reasons."""
    from manifest import ManifestError, read_manifest
    from manifest.dataset import is_remote, resolve_loc
    from manifest.layouts import from_folder

    if layout not in LAYOUTS:
        raise RunError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    path = Path(input_path)
    if not path.exists():
        raise RunError(f"{path}: no such file or folder")
    kind = _layout_of(path, layout)
    problems: list[dict] = []
    if kind == "manifest":
        if not path.is_file():
            raise RunError(f"{path}: --layout manifest needs a manifest file, not a folder")
        try:
            m = read_manifest(path, strict=False)
        except (ManifestError, OSError) as exc:
            raise RunError(f"{path}: cannot read the manifest: {exc}") from None
        base = path
    else:
        if not path.is_dir():
            raise RunError(f"{path}: a {layout} layout needs a folder")
        try:
            # images and VOC files are read (and their problems reported) when each unit is done
            m = from_folder(path, "auto" if kind == "auto-folder" else kind, check_images=False,
                            check_annotations=False)
        except ManifestError as exc:
            raise RunError(str(exc)) from None
        base = None
    for err in getattr(m, "errors", []) or []:
        problems.append({"source": str(getattr(err, "path", "") or ""), "reason": str(err)})
    items = []
    for i, s in enumerate(m):
        src = s.source
        local = resolve_loc(src, base) if base is not None else src
        shown = os.path.relpath(local, path) if kind != "manifest" and not is_remote(local) else src
        vocs = [resolve_loc(loc, base) if base is not None else loc for loc in s.annotation_locs]
        item = Item(i, shown, None if is_remote(local) else local,
                    "detection" if vocs else "classification", list(s.labels), vocs[0] if vocs else None,
                    s.usage)
        if is_remote(local):
            item.problem = f"source {src!r} is not a local file (download it first)"
        elif item.kind == "detection" and is_remote(item.voc):
            item.problem = f"annotation {item.voc!r} is not a local file"
        elif not vocs and not item.labels:
            item.problem = "image without annotation"
        elif len(vocs) > 1:
            item.problem = f"{len(vocs)} VOC annotations for one image; only one is supported"
        items.append(item)
    if kind != "manifest":
        _account_for_every_image(path, items, problems)
    final = "manifest" if kind == "manifest" else ("detection" if any(it.kind == "detection" for it in items) else "classification")
    _assign_names(items)
    return final, items, problems


def _account_for_every_image(root: Path, items: list[Item], problems: list[dict]) -> None:
    """Images the folder reader left out (e.g. beside an unreadable .xml) become failed items, so
    that every input image is accounted for in the summary with its reason."""
    from manifest.layouts import IMAGE_EXTENSIONS

    def key(p: str) -> str:
        return os.path.normcase(os.path.abspath(p))

    seen = {key(it.image) for it in items if it.image}
    problems[:] = [pr for pr in problems if not pr["source"] or key(pr["source"]) not in seen]  # already items
    found = []
    for dirpath, dirnames, filenames in os.walk(root):  # every file, hidden ones too
        dirnames.sort()
        found.extend(os.path.join(dirpath, f) for f in filenames
                     if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS)
    for img in sorted(found):
        if key(img) in seen or not os.path.isfile(img):
            continue
        reason = "not used by the folder reader"
        stem = os.path.splitext(img)[0]
        for pr in problems:
            if os.path.splitext(pr["source"])[0] == stem:
                reason = pr["reason"]
                problems.remove(pr)
                break
        kind = "detection" if os.path.exists(stem + ".xml") else "classification"
        items.append(Item(len(items), os.path.relpath(img, root), img, kind, problem=reason))


def _assign_names(items: list[Item]) -> None:
    """Unique output stems, in input order (so names do not depend on workers or timing)."""
    taken: set[str] = set()
    for it in items:
        p = Path(it.image or it.source)
        it.suffix = p.suffix if p.suffix.lower() in _FORMATS else ".png"
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in p.stem) or "image"
        cand, k = stem, 1
        while cand.lower() in taken:
            cand, k = f"{stem}-{k}", k + 1
        taken.add(cand.lower())
        it.stem = cand


# --------------------------------------------------------------------------- one unit of work
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


def _load(unit: Unit, spec: RunSpec) -> tuple[Sample, Any]:
    """Read and validate one item: the Sample to augment and its VOC annotation (or None)."""
    job = _Job(unit)
    _read_annotation(job, spec)
    _stage_image(job, spec, None)
    return _sample_of(job), job.ann


class _Skip(Exception):
    """An item that validation refuses (becomes a 'failed' record with this reason)."""


_WORKER: dict[str, Any] = {}


def tune_process() -> None:
    """Settings for a process that does nothing but this job (the CLI's, and the workers).

    glibc's allocator returns every freed block above its (adaptive) mmap threshold, and the top
    of the heap above 128 KB, to the kernel; a job that allocates and frees a few image-sized
    buffers per image then pays ~400 fresh page faults per 512x512 image, ~9 % of the job's CPU
    (measured, benchmarks/RESULTS-batch.md). Fixed thresholds keep those buffers in the heap for
    reuse: buffers up to 32 MB (a 3000x3000 RGB image) and up to 128 MB of free heap top. The
    memory a worker holds is then its peak working set, which it reaches on the first images
    anyway. No effect (and no error) where ``mallopt`` is not glibc's.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 128 << 20)


def _init_worker(spec: RunSpec, tune: bool = True) -> None:
    import cv2

    if tune:
        tune_process()
    cv2.setNumThreads(1)
    _WORKER["spec"] = spec
    _WORKER["pipeline"] = Pipeline.from_config(spec.pipeline)


class _Job:
    """One unit on its way through :func:`_process_group`; ``rec`` is set once it is finished."""

    __slots__ = ("unit", "rec", "vb", "ann", "boxes", "image", "info", "out", "data", "xml", "files")

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.rec: dict | None = None
        self.ann = self.xml = None

    def end(self, status: str, **kw: Any) -> None:
        u = self.unit
        self.rec = {"unit": u.key, "source": u.item.source, "copy": u.copy, "status": status, **kw}


def _read_annotation(job: _Job, spec: RunSpec) -> None:
    it = job.unit.item
    if it.kind == "detection":
        try:
            job.vb, job.ann = read_voc_boxes(it.voc, spec.other_shapes)
        except AnnotationError as exc:
            raise _Skip(str(exc)) from None


def _sample_of(job: _Job) -> Sample:
    """The Sample to augment: the image, and for detection its boxes, labels and object indices."""
    it, image = job.unit.item, job.image
    if job.ann is None:
        return Sample(image, meta={"source": it.source, "labels": it.labels, "info": job.info})
    boxes = job.boxes
    return Sample(image, boxes, job.vb.labels, {"_object": np.arange(len(boxes))},
                  meta={"source": it.source, "info": job.info})


def _stage_annotation(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    it = job.unit.item
    if it.problem:
        job.end("failed", reason=it.problem)
    elif job.unit.copy < 0:
        job.end(**_copy_original(job.unit, Path(spec.output) / "Data"))
    else:
        _read_annotation(job, spec)


def _stage_image(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    image, job.info = read_image(job.unit.item.image, max_pixels=spec.max_pixels)
    job.image = image
    if job.ann is not None:
        try:
            job.boxes = fit_voc_boxes(job.vb, job.ann, image.shape[0], image.shape[1], job.info.exif_orientation,
                                      validate=spec.validate)
        except AnnotationError as exc:
            raise _Skip(str(exc)) from None


def _stage_augment(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    sample = _sample_of(job)
    job.image = None
    result = pipeline.run(sample, index=job.unit.item.index, epoch=job.unit.copy)
    if result.sample is None:
        job.end("dropped", reason=result.dropped)
    job.out = result.sample


def _stage_annotation_out(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    job.files = [job.unit.name]
    if job.ann is None:
        return
    from manifest.vocboxes import with_boxes

    out = job.out
    h, w = out.image.shape[:2]
    depth = out.image.shape[2] if out.image.ndim == 3 else 1
    new = with_boxes(job.ann, out.boxes, keep=out.fields["_object"], size=(w, h, depth),
                     filename=job.unit.name, other_shapes=spec.other_shapes, base=job.vb)
    job.xml = new.to_bytes()
    job.files.append(Path(job.unit.name).stem + ".xml")


def _stage_encode(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    fmt = _FORMATS.get(job.unit.item.suffix.lower(), "PNG")
    job.data = encode_image(job.out.image, fmt, quality=spec.quality, subsampling=job.info.subsampling)


def _stage_write(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    out_dir = Path(spec.output) / "Data"
    atomic_write_bytes(out_dir / job.files[0], job.data, make_parents=False)
    if job.xml is not None:
        atomic_write_bytes(out_dir / job.files[1], job.xml, make_parents=False)
    job.end("written", files=job.files, boxes=len(job.out.boxes))


_STAGES = (_stage_annotation, _stage_image, _stage_augment, _stage_annotation_out, _stage_encode, _stage_write)
GROUP = 8  # units per group in _process_group


def _init_pool_worker(spec: RunSpec) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and reports; a worker
    # interrupted on its own would only print a traceback
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker(spec)


def _process_group(units: Sequence[Unit]) -> list[dict]:
    """Do a few units (in a worker) stage by stage: every annotation, then every decode, every
    augmentation, every encode, every write. Each stage's code and tables stay warm in the CPU's
    caches across the group, which costs 20-30 % less CPU per image than one unit after another
    (measured at 512x512, benchmarks/RESULTS-batch.md). Returns the journal records, in order."""
    spec: RunSpec = _WORKER["spec"]
    pipeline: Pipeline = _WORKER["pipeline"]
    live = [_Job(u) for u in units]
    jobs = list(live)
    for stage in _STAGES:
        for job in live:
            try:
                stage(job, spec, pipeline)
            except (_Skip, ImageReadError, ImageWriteError) as exc:
                job.end("failed", reason=str(exc))
            except AugmentError as exc:
                job.end("failed", reason=f"{type(exc).__name__}: {exc}")
        live = [job for job in live if job.rec is None]
    return [job.rec for job in jobs]


def _copy_original(unit: Unit, out_dir: Path) -> dict:
    it = unit.item
    files = [unit.name]
    try:
        data = Path(it.image).read_bytes()
    except OSError as exc:
        raise ImageReadError(f"{it.image}: cannot read file: {exc.strerror or exc}") from None
    xml = None
    if it.kind == "detection":
        from manifest import ManifestError, read_voc

        try:
            ann = read_voc(it.voc)
        except (ManifestError, OSError) as exc:
            raise _Skip(f"bad annotation: {exc}") from None
        xml = dataclasses.replace(ann, filename=unit.name).to_bytes()
        files.append(Path(unit.name).stem + ".xml")
    atomic_write_bytes(out_dir / files[0], data)
    if xml is not None:
        atomic_write_bytes(out_dir / files[1], xml)
    return {"status": "written", "files": files}


# --------------------------------------------------------------------------- the run
def _check_folders(spec: RunSpec, items: Sequence[Item]) -> None:
    inp = Path(spec.input).resolve()
    out = Path(spec.output).resolve()
    if inp.is_dir():
        if out == inp or out.is_relative_to(inp):
            raise RunError(f"output {out} is inside the input folder {inp}: choose another folder "
                           "(the input is never written to)")
        if inp.is_relative_to(out):
            raise RunError(f"input {inp} is inside the output folder {out}: choose another folder")
    elif (out / "output.manifest").resolve() == inp:
        raise RunError(f"writing {out / 'output.manifest'} would overwrite the input manifest")
    from manifest.layouts import RealPaths

    real_path = RealPaths()
    prefix = os.path.join(str(out), "")
    for it in items:
        for p in (it.image, it.voc):
            if not p:
                continue
            real = real_path(p)
            if real == str(out) or real.startswith(prefix):
                raise RunError(f"input file {p} is inside the output folder {out}: choose another folder")


def _state(spec: RunSpec) -> tuple[Path, Path]:
    d = Path(spec.output) / STATE_DIR
    return d / "run.json", d / "journal.jsonl"


def _resume(spec: RunSpec) -> dict[str, dict]:
    """Check the settings of a previous run in this folder and load its finished units."""
    run_file, journal = _state(spec)
    if run_file.exists():
        try:
            previous = json.loads(run_file.read_text())
        except (OSError, json.JSONDecodeError):
            previous = None
        if previous != spec.fingerprint():
            raise RunError(
                f"{spec.output} holds a run with other settings (input, pipeline, seed, ...); "
                "use a new output folder, or delete it to start again"
            )
    else:
        atomic_write_bytes(run_file, json.dumps(spec.fingerprint(), indent=2).encode())
    done: dict[str, dict] = {}
    if journal.exists():
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interruption
            done[rec["unit"]] = rec
    data = Path(spec.output) / "Data"
    for key, rec in list(done.items()):
        if rec["status"] == "failed" or (
            rec["status"] == "written" and not all((data / f).exists() for f in rec.get("files", []))
        ):
            del done[key]  # redo: a failure may have been fixed, a file may be gone
    if data.is_dir():
        for tmp in data.glob(".*.part"):
            tmp.unlink(missing_ok=True)  # temporaries of an interrupted write
    return done


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled and sys.stderr.isatty()
        self.start = self.last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self.last > 0.1 or self.done == self.total):
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            width = 30
            fill = int(width * self.done / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} images  {rate:.1f}/s ")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _units(items: Sequence[Item], spec: RunSpec) -> list[Unit]:
    out = []
    for it in items:
        if spec.include_originals:
            out.append(Unit(it, -1))
        out.extend(Unit(it, k) for k in range(spec.copies))
    return out


def _groups(todo: list[Unit], workers: int) -> list[list[Unit]]:
    """Groups of up to GROUP units, smaller when there are few units (so that every worker gets
    several groups and an interruption loses little), and pairs for the last GROUP units of each
    worker (so that the workers finish together instead of one waiting for another's last group)."""
    size = max(1, min(GROUP, len(todo) // (workers * 4)))
    tail = min(len(todo), workers * size) if workers > 1 and size > 2 else 0
    head = len(todo) - tail
    groups = [todo[i:min(i + size, head)] for i in range(0, head, size)]
    return groups + [todo[i:i + 2] for i in range(head, len(todo), 2)]


def _preload_modules(spec: RunSpec) -> list[str]:
    """What the fork server imports once for all its workers: the job, and the operator modules
    of the pipeline (they load lazily; not preloaded, every worker would import them)."""
    ops = Pipeline.from_config(spec.pipeline).ops
    return ["augment.batch"] + sorted({type(op).__module__ for op in ops if type(op).__module__.startswith("augment.")})


def _execute(todo: list[Unit], spec: RunSpec, workers: int, sink, owns_process: bool) -> None:
    import cv2

    if workers <= 1:
        threads = cv2.getNumThreads()
        _init_worker(spec, tune=owns_process)
        try:
            for group in _groups(todo, 1):
                for rec in _process_group(group):
                    sink(rec)
        finally:
            cv2.setNumThreads(threads)
        return
    if owns_process and "fork" in mp.get_all_start_methods():
        # a process made for this run (the CLI) that has not run any OpenCV work: with OpenCV's
        # pool set to one thread before any parallel call there are no pool threads to inherit,
        # and forked workers start in milliseconds with everything already imported
        cv2.setNumThreads(1)
        ctx = mp.get_context("fork")
    else:
        # someone else's process (the API): it may have run OpenCV's thread pool, and forking a
        # process whose pool has run can hang the child. A fork server that has imported the
        # job once is nearly as quick and inherits nothing.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_preload_modules(spec))
    pool = ctx.Pool(workers, initializer=_init_pool_worker, initargs=(spec,))
    try:
        for recs in pool.imap_unordered(_process_group, _groups(todo, workers)):
            for rec in recs:
                sink(rec)
    except BaseException:
        pool.terminate()  # Ctrl-C or an error: stop the workers now
        raise
    pool.close()  # all done: let the workers exit (quicker than terminate's kill-and-wait)
    pool.join()


def run(spec: RunSpec, *, workers: int = 1, progress: bool = True, owns_process: bool = False) -> dict:
    """Run the job described by ``spec``; returns the summary (also written to summary.json).

    ``owns_process=True`` says the calling process exists only for this run and has not used
    OpenCV yet (``augment run`` does this): the job may then tune its allocator
    (:func:`tune_process`) and fork its workers directly instead of going through a fork server.
    """
    if spec.copies < 0:
        raise RunError("copies must be >= 0")
    pipeline = Pipeline.from_config(spec.pipeline)
    if pipeline.seed is None:
        spec = dataclasses.replace(spec, pipeline={**spec.pipeline, "seed": fresh_seed() % 2**63})
        log.info("no seed given: using seed %d", spec.pipeline["seed"])
    layout, items, problems = discover(spec.input, spec.layout)
    _check_folders(spec, items)
    out = Path(spec.output)
    (out / "Data").mkdir(parents=True, exist_ok=True)
    done = _resume(spec)
    units = _units(items, spec)
    todo = [u for u in units if u.key not in done]
    bar = _Progress(len(units), progress)
    bar.update(len(units) - len(todo))
    _, journal_path = _state(spec)
    with open(journal_path, "a", encoding="utf-8") as journal:

        def sink(rec: dict) -> None:
            journal.write(json.dumps(rec, ensure_ascii=False) + "\n")
            journal.flush()
            done[rec["unit"]] = rec
            bar.update()

        try:
            _execute(todo, spec, workers, sink, owns_process)
        except KeyboardInterrupt:
            bar.close()
            finished = sum(1 for u in units if u.key in done)
            raise Interrupted(f"interrupted after {finished} of {len(units)} images; "
                              "run the same command again to finish the rest") from None
    bar.close()
    summary = _finish(spec, layout, items, units, done, problems)
    return summary


def _finish(spec: RunSpec, layout: str, items: list[Item], units: list[Unit], done: dict, problems: list[dict]) -> dict:
    from manifest import Sample as MSample
    from manifest import write_manifest

    prefix = spec.source_prefix or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    lines = []
    per_input: dict[int, list[dict]] = {}
    for u in units:
        rec = done.get(u.key, {"unit": u.key, "status": "failed", "reason": "not processed"})
        per_input.setdefault(u.item.index, []).append(rec)
        if rec["status"] != "written":
            continue
        src = f"{prefix}Data/{rec['files'][0]}"
        it = u.item
        if it.kind == "detection":
            lines.append(MSample.detection(src, f"{prefix}Data/{rec['files'][1]}", usage=it.usage))
        else:
            lines.append(MSample.classification(src, it.labels, usage=it.usage))
    out = Path(spec.output)
    import io

    buf = io.StringIO()
    write_manifest(lines, buf)
    atomic_write_bytes(out / "output.manifest", buf.getvalue().encode("utf-8"))
    counts = Counter(r["status"] for recs in per_input.values() for r in recs)
    reasons = Counter(
        _reason_kind(r.get("reason", "")) for recs in per_input.values() for r in recs if r["status"] != "written"
    )
    summary = {
        "input": spec.input,
        "layout": layout,
        "output": spec.output,
        "pipeline": spec.pipeline,
        "copies": spec.copies,
        "include_originals": spec.include_originals,
        "counts": {
            "inputs": len(items),
            "images": len(units),
            "written": counts.get("written", 0),
            "dropped": counts.get("dropped", 0),
            "failed": counts.get("failed", 0),
            "other_files": len(problems),
        },
        "reasons": dict(reasons.most_common()),
        "inputs": [
            {"source": it.source, "results": sorted(per_input.get(it.index, []), key=lambda r: r["copy"])}
            for it in items
        ],
        "other_files": problems,
    }
    atomic_write_bytes(out / "summary.json", _summary_json(summary).encode("utf-8"))
    return summary


def _summary_json(summary: dict) -> str:
    """``summary.json``'s text: the head indented, then one line per input (and per other file).
    The same JSON value as ``json.dumps(summary)``; ``indent=`` would force json's pure-Python
    encoder, ~10x slower on a big run."""
    head = {k: v for k, v in summary.items() if k not in ("inputs", "other_files")}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    for key in ("inputs", "other_files"):
        rows = ",\n  ".join(json.dumps(e, ensure_ascii=False) for e in summary[key])
        text += f',\n "{key}": [' + (f"\n  {rows}\n ]" if rows else "]")
    return text + "\n}\n"


def _reason_kind(reason: str) -> str:
    """A short class of a reason, for the summary table ("Rotate: box 2 left ..." -> "Rotate: box left the image")."""
    head = reason.split(" (", 1)[0]
    parts = head.split(": ")
    if len(parts) > 1 and parts[0].endswith((".jpg", ".jpeg", ".png", ".bmp", ".xml", ".JPG", ".PNG")):
        parts = parts[1:]
    text = ": ".join(parts[:2])
    return " ".join(w for w in text.split() if not w.isdigit())


def format_summary(summary: dict) -> str:
    """The short table printed on stderr at the end of a run."""
    c = summary["counts"]
    rows = [
        f"augment run: {c['inputs']} inputs -> {c['images']} images: "
        f"{c['written']} written, {c['dropped']} dropped, {c['failed']} failed",
    ]
    for reason, n in list(summary["reasons"].items())[:8]:
        rows.append(f"  {n:6d}  {reason}")
    if c["other_files"]:
        rows.append(f"  {c['other_files']:6d}  other files not used (see other_files in summary.json)")
    rows.append(f"  output: {Path(summary['output']) / 'output.manifest'}; details: summary.json")
    return "\n".join(rows)
