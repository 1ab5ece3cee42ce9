"""The folder batch job behind ``augment run``.

Input: a classification folder (one sub-folder per label, or image + same-name ``.txt``), a
detection folder (image + same-name PASCAL VOC ``.xml``) or a manifest. Output folder::

    OUTPUT/Data/<stem>_aug<k>.<ext>     augmented images (same format as the input)
    OUTPUT/Data/<stem>_aug<k>.xml       their VOC annotations (detection)
    OUTPUT/Data/<stem>.<ext>            the originals, with --include-originals
    OUTPUT/output.manifest              every written image, ModelArts manifest
    OUTPUT/summary.json                 every input accounted for: written, dropped, failed
    OUTPUT/.augment/                    run settings and a journal, for resuming

The job is one room per step: :mod:`~augment.batch.plan` (discover, name, cut into units),
:mod:`~augment.batch.work` (one group of units: bytes in, bytes and records out),
:mod:`~augment.batch.engine` (where the groups run), :mod:`~augment.batch.journal` (resume) and
:mod:`~augment.batch.summary` (``output.manifest``, ``summary.json``, exit codes).

Rules the job keeps:

* the input is never written to; an OUTPUT inside INPUT (or the same folder) is refused;
* every file under an input folder is an input or is listed in ``other_files`` with the reason;
  output names are unique by construction (:mod:`augment.batch.plan`);
* copy ``k`` of input ``i`` is augmented as sample ``index=i``, ``epoch=k`` of the seeded pipeline,
  so the output bytes are the same whatever ``workers`` is, and asking for more copies later
  leaves the first ones unchanged; a run without a seed draws one and records it, and re-running
  the same command (still without a seed) reuses it;
* every file is written to a temporary name and renamed into place; the journal records each
  finished unit, so re-running the same command after an interruption does only the rest;
* an error in one unit fails that unit, with the reason; an error that dooms every unit (disk full,
  read-only output) stops the run with the summary and journal kept;
* validation (on by default, ModelArts' ``do_validation``): unreadable images, bad XML, boxes
  inverted or more than ``BOX_SLACK`` pixels outside the image, and images without annotation are
  reported and skipped; boxes overhanging by less are clipped;
* EXIF orientation is applied before augmenting; when a VOC file's size matches the stored
  (unrotated) image instead, its boxes are turned with the image (``exif_boxes``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ..annotations import BOX_SLACK
from ..core.pipeline import Pipeline
from ..errors import ConfigError
from ..random import fresh_seed
from . import engine as local_engine
from . import journal, plan, storage, summary, work
from .engine import tune_process
from .plan import Item, Unit, discover
from .spec import EXIF_BOXES, LAYOUTS, USAGES, FatalRunError, Interrupted, RunError, RunSpec, parse_split
from .summary import EXIT_CODES, exit_code, format_summary

__all__ = ["RunSpec", "RunError", "FatalRunError", "Interrupted", "Item", "discover", "run", "LAYOUTS", "USAGES",
           "EXIF_BOXES", "BOX_SLACK", "EXIT_CODES", "exit_code", "format_summary", "parse_split", "tune_process"]

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")


def _check_folders(spec: RunSpec, items: Sequence[Item]) -> None:
    if storage.is_url(spec.input) or storage.is_url(spec.output):
        _check_urls(spec, items)
        return
    inp = Path(spec.input).resolve()
    out = Path(spec.output).resolve()
    if out.exists() and not out.is_dir():
        raise RunError(f"output {spec.output} exists and is not a folder")
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


def _check_urls(spec: RunSpec, items: Sequence[Item]) -> None:
    """The rules of :func:`_check_folders` where the input or the output is a URL."""
    out = spec.output.rstrip("/")
    if not storage.is_url(out):
        return  # a remote input cannot be inside a local output
    if storage.inside(out, spec.input) and not storage.isfile(spec.input):
        raise RunError(f"output {out} is inside the input folder {spec.input}: choose another folder "
                       "(the input is never written to)")
    if storage.inside(spec.input, out):
        raise RunError(f"input {spec.input} is inside the output folder {out}: choose another folder")
    for it in items:
        for p in (it.image, it.voc):
            if p and storage.is_url(p) and storage.inside(p, out):
                raise RunError(f"input file {p} is inside the output folder {out}: choose another folder")


def _seeded(spec: RunSpec) -> RunSpec:
    """``spec`` with a seed: its own, the one an earlier unseeded run in the same output drew
    (so that re-running the same command resumes it), or a fresh one."""
    if Pipeline.from_config(spec.pipeline).seed is not None:
        return spec
    previous = journal.previous_settings(spec.output)
    if previous is not None and isinstance(previous.get("pipeline"), dict):
        seed = previous["pipeline"].get("seed")
        candidate = dataclasses.replace(spec, pipeline={**spec.pipeline, "seed": seed})
        if isinstance(seed, int) and candidate.fingerprint() == previous:
            log.info("no seed given: reusing seed %d of the run in %s", seed, spec.output)
            return candidate
    seed = fresh_seed() % 2**63
    log.info("no seed given: using seed %d", seed)
    return dataclasses.replace(spec, pipeline={**spec.pipeline, "seed": seed})


def _make_output(spec: RunSpec) -> None:
    if storage.is_url(spec.output):
        storage.check_output(spec.output)  # folders are implicit in object storage
        return
    try:
        (Path(spec.output) / "Data").mkdir(parents=True, exist_ok=True)
        (Path(spec.output) / journal.STATE_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise RunError(f"cannot create the output folder {spec.output}: {exc.strerror or exc}") from None
    probe = Path(spec.output) / "Data" / f".write-test.{os.getpid()}.part"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"cannot write into {Path(spec.output) / 'Data'}: {exc.strerror or exc}") from None


def run(spec: RunSpec, *, workers: int = 1, progress: bool = True, owns_process: bool = False,
        engine: str = "local", address: str | None = None, blocks: int | None = None) -> dict:
    """Run the job described by ``spec``; returns the summary (also written to summary.json).

    ``engine="local"`` runs ``workers`` processes on this machine; ``engine="ray"`` runs the same
    units on a Ray cluster (``address``; default: the one ``ray.init`` finds, or a local one) with
    ``workers`` tasks at a time (:mod:`augment.batch.ray_engine`); ``blocks``: how many blocks Ray
    cuts the units into (default: two per task slot, at most 1024 units each). Same seed, same
    output bytes and summary, whatever the engine, ``workers`` or ``blocks``.

    ``owns_process=True`` says the calling process exists only for this run and has not used
    OpenCV yet (``augment run`` does this): the job may then tune its allocator
    (:func:`tune_process`) and fork its workers directly instead of going through a fork server.
    Raises :class:`RunError` before any work, :class:`Interrupted` on Ctrl-C and
    :class:`FatalRunError` (after writing the summary) when an error dooms every unit.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 1024:
        raise RunError(f"workers must be a whole number from 1 to 1024 (got {workers!r})")
    if engine not in ENGINES:
        raise RunError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")
    if (address is not None or blocks is not None) and engine != "ray":
        raise RunError(f"{'address' if address is not None else 'blocks'} applies to engine='ray'")
    if blocks is not None and (not isinstance(blocks, int) or isinstance(blocks, bool) or blocks < 1):
        raise RunError(f"blocks must be a positive whole number (got {blocks!r})")
    storage.configure(spec.endpoint_url)
    try:
        Pipeline.from_config(spec.pipeline)
    except ConfigError as exc:
        raise RunError(f"pipeline: {exc}") from None
    spec = _seeded(spec)
    layout, items, problems, why = discover(spec.input, spec.layout, base=spec.base)
    _check_folders(spec, items)
    if spec.split is not None:
        plan.assign_split(items, spec.split, spec.pipeline["seed"])
    _make_output(spec)
    done = journal.resume(spec)
    units = plan.units_of(items, spec)
    todo = [u for u in units if u.key not in done]
    bar = _Progress(len(units), progress)
    bar.update(len(units) - len(todo))
    stopped: list[str] = []
    log_ = journal.Journal(spec.output)

    def sink(rec: dict) -> bool:
        if rec["status"] == work.FATAL:
            stopped.append(rec["reason"])
            return False
        try:
            log_.add(rec)
        except OSError as exc:
            reason = work.fatal_reason(exc, storage.join(spec.output, journal.STATE_DIR)) or (
                f"cannot write the journal: {exc}")
            stopped.append(reason)
            return False
        done[rec["unit"]] = rec
        bar.update()
        return True

    try:
        if engine == "ray":
            from . import ray_engine

            ray_engine.run_ray(todo, spec, workers, sink, address, blocks)
        else:
            local_engine.run_local(todo, spec, workers, sink, owns_process)
    except KeyboardInterrupt:
        bar.close()
        finished = sum(1 for u in units if u.key in done)
        raise Interrupted(f"interrupted after {finished} of {len(units)} images; "
                          "run the same command again to finish the rest") from None
    finally:
        log_.close()
    bar.close()
    reason = stopped[0] if stopped else None
    try:
        result = summary.finish(spec, layout, why, items, units, done, problems, stopped=reason)
    except OSError as exc:
        raise FatalRunError(f"{reason or 'cannot write the summary'}: summary.json and output.manifest not written "
                            f"({exc.strerror or exc}); the journal is kept: fix it and run the same command again"
                            ) from None
    if reason:
        raise FatalRunError(f"{reason}; stopped after {result['counts']['written']} written images "
                            "(summary.json and the journal are kept): fix it and run the same command again",
                            summary=result)
    return result


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        import sys
        import time

        self._time, self._err = time.monotonic, sys.stderr
        self.total, self.done, self.enabled = total, 0, enabled and sys.stderr.isatty()
        self.start = self.last = self._time()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = self._time()
        if self.enabled and (now - self.last > 0.1 or self.done == self.total):
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            width = 30
            fill = int(width * self.done / max(self.total, 1))
            self._err.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} images  {rate:.1f}/s ")
            self._err.flush()

    def close(self) -> None:
        if self.enabled:
            self._err.write("\n")


# names kept for callers of the single-module job
Unit = Unit
_load, _Skip = work.load, work._Skip
