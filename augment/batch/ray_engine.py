"""The Ray engine: the run's units on a Ray cluster, through Ray Data.

Each unit is a row (the pickled :class:`~augment.batch.plan.Unit`); ``map_batches`` hands groups
of :data:`~augment.batch.plan.GROUP` rows to a callable class that builds the pipeline once per
actor (:func:`augment.batch.work.init_worker`) and does each group with
:func:`augment.batch.work.process_group`, which writes the group's files straight to the output
(a local disk every node sees, or object storage). What comes back to the driver is one journal
record per unit; the driver journals them as they stream in and, at the end, writes
``output.manifest`` and ``summary.json`` once, as with the local engine. A unit's bytes depend on
its seed, index and copy only, so the output is the same for any number of actors and any block
layout.

Where the work runs: a cluster given by ``address`` (``ray://host:10001`` or ``host:6379``), the one
this process is already connected to (``ray.init`` called by the caller), or else a local
one started for this run and stopped after it. On a cluster, every node needs ``augment`` installed
and must see the inputs and the output (object storage, or a shared file system).
"""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Callable
from typing import Any

from . import work
from .plan import GROUP, Unit
from .spec import RunError, RunSpec

__all__ = ["run_ray", "RAY_EXTRA"]

RAY_EXTRA = "augment-manifest[ray]"
log = logging.getLogger(__name__)


class GroupWorker:
    """A Ray Data actor: one pipeline, built once, for every group it is given."""

    def __init__(self, spec: RunSpec) -> None:
        from .engine import tune_process

        tune_process()
        work.init_worker(spec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        units: list[Unit] = [pickle.loads(b) for b in batch["unit"]]
        recs = work.process_group(units)
        return {"rec": np.array([json.dumps(r, ensure_ascii=False) for r in recs], dtype=object)}


def _connect(address: str | None) -> bool:
    """Connect to Ray; True when this call started it (and must stop it)."""
    try:
        import ray
    except ImportError:
        raise RunError(f"engine 'ray' needs Ray: pip install '{RAY_EXTRA}'") from None
    if ray.is_initialized():
        return False
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=True,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
        raise RunError(f"cannot connect to {where}: {exc}") from None
    return True


def run_ray(
    todo: list[Unit],
    spec: RunSpec,
    workers: int,
    sink: Callable[[dict], bool],
    address: str | None,
    blocks: int | None = None,
) -> None:
    """Do ``todo`` on Ray with ``workers`` actors; every record goes to ``sink`` (False stops the
    run). ``blocks``: how many blocks the rows are cut into (default: Ray's choice)."""
    if not todo:
        return
    started = _connect(address)
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    quiet = logging.getLogger("ray.data")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no per-run INFO lines on the user's terminal
    blob = pickle.dumps(spec)

    class Worker(GroupWorker):  # the spec travels with the class: no object-store argument to lose
        def __init__(self) -> None:
            super().__init__(pickle.loads(blob))

    rows = [{"unit": pickle.dumps(u, protocol=pickle.HIGHEST_PROTOCOL)} for u in todo]
    ds: Any = ray.data.from_items(rows, override_num_blocks=min(len(rows), blocks or workers * 4))
    ds = ds.map_batches(
        Worker,
        batch_size=GROUP,
        batch_format="numpy",
        num_cpus=1,
        zero_copy_batch=True,
        compute=ray.data.ActorPoolStrategy(size=workers),
    )
    it = iter(ds.iter_rows())
    try:
        for row in it:
            if not sink(json.loads(row["rec"])):
                break
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()  # stops the dataset's execution: on Ctrl-C, the cluster's work stops too
        quiet.setLevel(level)
        if started:
            ray.shutdown()
