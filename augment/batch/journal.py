"""The run's state in ``OUTPUT/.augment/``: its settings (``run.json``) and a journal of finished
units (``journal.jsonl``, one record a line, appended as units finish), so that re-running the same
command after an interruption does only the rest.

On object storage, where an object cannot be appended to, the journal is a folder of segments
(``.augment/journal/<start>-<pid>-<n>.jsonl``), each written whole when 256 records or 5 seconds
have gathered, and at the end; a kill loses at most the records not yet in a segment, whose units
are done again (to the same bytes). Resuming reads every segment, whichever engine wrote it, in
name order, a later record of a unit winning.

So that a long run does not leave one small object per 256 images (400,000 for 100M images, each
a request to read on resume), every 64 segments of a run, and at its end, are compacted: their
records are written as one object named after the last of them with ``.c.jsonl`` for ``.jsonl``
(it sorts just before that segment, after the others), then the segments are deleted. A kill in
between leaves both, which reads the same."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, TextIO

from . import storage
from .spec import RunError, RunSpec

__all__ = ["STATE_DIR", "state_paths", "previous_settings", "resume", "Journal", "STATUSES"]

log = logging.getLogger(__name__)

STATE_DIR = ".augment"
STATUSES = ("written", "dropped", "failed")


def state_paths(output: str | Path) -> tuple[Any, Any]:
    """``run.json`` and the journal (a file; a folder of segments on object storage)."""
    out = os.fspath(output)
    if storage.is_url(out):
        d = storage.join(out, STATE_DIR)
        return storage.join(d, "run.json"), storage.join(d, "journal")
    p = Path(out) / STATE_DIR
    return p / "run.json", p / "journal.jsonl"


def previous_settings(output: str | Path) -> dict | None:
    """The settings recorded by an earlier run in ``output`` (``None`` when there is none)."""
    run_file, _ = state_paths(output)
    folder = storage.dirname(str(run_file))
    try:
        if isinstance(run_file, Path):
            if not run_file.exists():
                return None
            text = run_file.read_text(encoding="utf-8")
        else:
            try:
                text = storage.read(run_file, 16 << 20).decode("utf-8")
            except storage.StorageError as exc:
                if exc.errno == 2:
                    return None
                raise RunError(f"cannot read {run_file}: {exc}") from None
        previous = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunError(f"{run_file}: the record of an earlier run is damaged ({exc}); delete {folder} "
                       "to start again (the images in Data/ are kept and redone)") from None
    if not isinstance(previous, dict):
        raise RunError(f"{run_file}: the record of an earlier run is damaged (not an object); delete "
                       f"{folder} to start again")
    return previous


def _valid(rec: Any) -> bool:
    if not (isinstance(rec, dict) and isinstance(rec.get("unit"), str) and rec.get("status") in STATUSES):
        return False
    if rec["status"] == "written":
        files = rec.get("files")
        return isinstance(files, list) and bool(files) and all(isinstance(f, str) and f and "/" not in f
                                                               and f not in (".", "..") for f in files)
    return True


def resume(spec: RunSpec) -> dict[str, dict]:
    """Check the settings of a previous run in this folder (or record ours) and load its finished
    units. Damaged journal lines (a line cut by a kill, edited by hand) are skipped with a warning:
    their units are done again."""
    run_file, journal = state_paths(spec.output)
    previous = previous_settings(spec.output)
    if previous is not None:
        if previous != spec.fingerprint():
            raise RunError(
                f"{spec.output} holds a run with other settings (input, pipeline, seed, ...); "
                "use a new output folder, or delete it to start again"
            )
    else:
        storage.write(os.fspath(run_file), json.dumps(spec.fingerprint(), indent=2).encode())
    done: dict[str, dict] = {}
    damaged = 0
    for raw in _journal_lines(journal):
        try:
            rec = json.loads(raw)
        except ValueError:
            rec = None
        if _valid(rec):
            done[rec["unit"]] = rec
        elif raw.strip():
            damaged += 1
    if damaged:
        log.warning("%s: %d damaged line(s) skipped; their images are done again", journal, damaged)
    remote = storage.is_url(spec.output)
    data = Path(spec.output) / "Data"
    if remote:
        present = {rel for rel, _ in storage.listing(storage.join(spec.output, "Data"))} if done else set()

        def there(f: str) -> bool:
            return f in present
    else:

        def there(f: str) -> bool:
            return (data / f).exists()
    for key, rec in list(done.items()):
        if rec["status"] == "failed" or (rec["status"] == "written" and not all(map(there, rec["files"]))):
            del done[key]  # redo: a failure may have been fixed, a file may be gone
    if not remote and data.is_dir():
        for tmp in data.glob(".*.part"):
            tmp.unlink(missing_ok=True)  # temporaries of an interrupted write
    return done


def _journal_lines(journal: Any) -> list[bytes]:
    if isinstance(journal, Path):
        if not journal.exists():
            return []
        with open(journal, "rb") as f:
            return f.readlines()
    try:
        segments = [storage.join(journal, rel) for rel, _ in storage.listing(journal) if rel.endswith(".jsonl")]
    except storage.StorageError as exc:
        if exc.errno == 2:  # no journal folder yet
            return []
        raise RunError(f"cannot read the journal {journal}: {exc}") from None
    lines: list[bytes] = []
    for start in range(0, len(segments), 256):
        batch = segments[start:start + 256]
        storage.prefetch(batch)
        for seg in batch:
            try:
                lines.extend(storage.read(seg).splitlines())
            except storage.StorageError as exc:
                raise RunError(f"cannot read the journal segment {seg}: {exc}") from None
    return lines


class Journal:
    """Appends finished units' records, one JSON line each: flushed as they come to a local
    journal, gathered into segments on object storage (see the module docstring)."""

    SEGMENT_RECORDS = 256
    COMPACT_SEGMENTS = 64  # a run's segments gathered into one object (see the module docstring)
    # at most this long between segments (the work a kill can lose); AUGMENT_JOURNAL_SECONDS sets it
    SEGMENT_SECONDS = float(os.environ.get("AUGMENT_JOURNAL_SECONDS") or 5.0)

    def __init__(self, output: str | Path) -> None:
        self.path = state_paths(output)[1]
        self.file: TextIO | None = None
        self.pending: list[str] = []
        self.segments = 0
        self.uncompacted: list[str] = []  # this run's segments since the last compaction
        self.uncompacted_lines: list[str] = []
        self.compacting = True
        self.started = f"{time.time_ns():x}-{os.getpid()}"
        self.last = time.monotonic()
        if isinstance(self.path, Path):
            self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 -- open until close()

    def add(self, rec: dict) -> None:
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        if self.file is not None:
            self.file.write(line)
            self.file.flush()
            return
        self.pending.append(line)
        if len(self.pending) >= self.SEGMENT_RECORDS or time.monotonic() - self.last > self.SEGMENT_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the gathered records as one segment (object storage)."""
        if self.file is not None or not self.pending:
            return
        name = storage.join(self.path, f"{self.started}-{self.segments:09d}.jsonl")
        storage.write(name, "".join(self.pending).encode("utf-8"))
        self.segments += 1
        self.uncompacted.append(name)
        self.uncompacted_lines.extend(self.pending)
        self.pending.clear()
        self.last = time.monotonic()
        if len(self.uncompacted) >= self.COMPACT_SEGMENTS:
            self.compact()

    def compact(self) -> None:
        """This run's segments since the last compaction as one object (see the module docstring).
        A failure leaves the segments as they are (they read the same), with a warning."""
        names, lines = self.uncompacted, self.uncompacted_lines
        self.uncompacted, self.uncompacted_lines = [], []
        if len(names) < 2 or not self.compacting:
            return
        target = names[-1][: -len(".jsonl")] + ".c.jsonl"
        try:
            storage.write(target, "".join(lines).encode("utf-8"))
        except OSError as exc:
            log.warning("the journal's segments were not compacted (%s); they are read as they are", exc)
            return
        try:
            storage.remove_many(names)
        except OSError as exc:
            # a store that refuses batched deletes (some S3-compatible ones do): the compacted object
            # would only double what is read on resume; it goes, and so does compaction for this run
            self.compacting = False
            try:
                storage.remove(target)
            except OSError:
                pass  # both remain: they read the same
            log.warning("the journal's segments cannot be deleted (%s); compaction is off for this run", exc)

    def close(self) -> None:
        if self.file is None:
            try:
                self.flush()
            except OSError as exc:
                log.warning("the last journal records were not written (%s); their images are redone by a re-run", exc)
                return
            self.compact()
            return
        try:
            self.file.close()
        except OSError:
            pass  # a full disk refuses the last flush; the records it held are redone
