"""The run's state in ``OUTPUT/.augment/``: its settings (``run.json``) and a journal of finished
units (``journal.jsonl``, one record a line, appended as units finish), so that re-running the same
command after an interruption does only the rest."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, TextIO

from ..imageio import atomic_write_bytes
from .spec import RunError, RunSpec

__all__ = ["STATE_DIR", "state_paths", "previous_settings", "resume", "Journal", "STATUSES"]

log = logging.getLogger(__name__)

STATE_DIR = ".augment"
STATUSES = ("written", "dropped", "failed")


def state_paths(output: str | Path) -> tuple[Path, Path]:
    d = Path(output) / STATE_DIR
    return d / "run.json", d / "journal.jsonl"


def previous_settings(output: str | Path) -> dict | None:
    """The settings recorded by an earlier run in ``output`` (``None`` when there is none)."""
    run_file, _ = state_paths(output)
    if not run_file.exists():
        return None
    try:
        previous = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunError(f"{run_file}: the record of an earlier run is damaged ({exc}); delete {run_file.parent} "
                       "to start again (the images in Data/ are kept and redone)") from None
    if not isinstance(previous, dict):
        raise RunError(f"{run_file}: the record of an earlier run is damaged (not an object); delete "
                       f"{run_file.parent} to start again")
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
        atomic_write_bytes(run_file, json.dumps(spec.fingerprint(), indent=2).encode())
    done: dict[str, dict] = {}
    damaged = 0
    if journal.exists():
        with open(journal, "rb") as f:
            for raw in f:
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
    data = Path(spec.output) / "Data"
    for key, rec in list(done.items()):
        if rec["status"] == "failed" or (
            rec["status"] == "written" and not all((data / f).exists() for f in rec["files"])
        ):
            del done[key]  # redo: a failure may have been fixed, a file may be gone
    if data.is_dir():
        for tmp in data.glob(".*.part"):
            tmp.unlink(missing_ok=True)  # temporaries of an interrupted write
    return done


class Journal:
    """Appends finished units' records, one JSON line each, flushed as they come."""

    def __init__(self, output: str | Path) -> None:
        self.path = state_paths(output)[1]
        self.file: TextIO = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 -- open until close()

    def add(self, rec: dict) -> None:
        self.file.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.file.flush()

    def close(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass  # a full disk refuses the last flush; the records it held are redone
