"""The Ray engine: the run's units on a Ray cluster, through Ray Data.

Each unit is a row (the pickled :class:`~augment.batch.plan.Unit`); ``map_batches`` hands groups
of :data:`~augment.batch.plan.GROUP` rows to tasks (at most ``workers`` at a time) that do each
group with :func:`augment.batch.work.process_group`, which writes the group's files straight to
the output (a local disk every node sees, or object storage). The pipeline is built once per Ray
worker process and run (:func:`_worker_for`), and Ray keeps its worker processes: a second run on
the same cluster starts warm. (A callable class on an actor pool, Ray Data's usual way to set up
once, starts new actor processes for every run: measured here, 5-7 s before the first image of a
500-image run against ~1 s for the local engine, and the same steady rate after it;
benchmarks/RESULTS-engines.md.) What comes back to the driver is one journal
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


_SPEC: dict[str, bytes] = {}  # the spec this worker process was set up for (pickled)


def _worker_for(blob: bytes) -> None:
    """Set this Ray worker process up for the run whose pickled spec is ``blob``: once per process
    and run, not per group (Ray keeps its worker processes, so a second run on the same cluster
    starts warm)."""
    if _SPEC.get("blob") != blob:
        from .engine import tune_process

        tune_process()
        work.init_worker(pickle.loads(blob))
        _SPEC["blob"] = blob


def do_groups(batch: dict[str, Any], blob: bytes) -> dict[str, Any]:
    """One Ray Data batch (a group of units): their records, as JSON strings."""
    import numpy as np

    _worker_for(blob)
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


# Ray Data settings for a run (restored after it): no progress bars or start banner on the user's
# terminal, and no per-operator resource reservation: with it, Ray Data ran one task until the first
# block's output size was known, so the second CPU sat idle for the first ~1 s (measured, 500 images).
_SETTINGS = {"enable_progress_bars": False, "print_on_execution_start": False, "op_resource_reservation_enabled": False}
MAX_BLOCK_UNITS = 1024


def default_blocks(units: int, workers: int) -> int:
    """Two blocks per task slot, and no block over :data:`MAX_BLOCK_UNITS` units. Records come back
    a block at a time, so a block is also what an interruption can lose; each block boundary costs
    a task slot ~0.15 s idle (measured: 2, 4 and 8 blocks for 500 images at 2 slots gave 0.94,
    0.87 and 0.79 of the local engine's throughput)."""
    return max(2 * workers, -(-units // MAX_BLOCK_UNITS))


def run_ray(
    todo: list[Unit],
    spec: RunSpec,
    workers: int,
    sink: Callable[[dict], bool],
    address: str | None,
    blocks: int | None = None,
) -> None:
    """Do ``todo`` on Ray with at most ``workers`` tasks at a time; every record goes to ``sink``
    (False stops the run). ``blocks``: how many blocks the rows are cut into (default
    :func:`default_blocks`)."""
    if not todo:
        return
    started = _connect(address)
    import ray.data

    ctx = ray.data.DataContext.get_current()
    saved = {k: getattr(ctx, k) for k in _SETTINGS}
    for k, v in _SETTINGS.items():
        setattr(ctx, k, v)
    quiet = logging.getLogger("ray.data")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no per-run INFO lines on the user's terminal
    blob = pickle.dumps(spec)
    rows = [{"unit": pickle.dumps(u, protocol=pickle.HIGHEST_PROTOCOL)} for u in todo]
    ds: Any = ray.data.from_items(
        rows, override_num_blocks=min(len(rows), blocks or default_blocks(len(rows), workers))
    )
    ds = ds.map_batches(
        do_groups,
        fn_kwargs={"blob": blob},
        batch_size=GROUP,
        batch_format="numpy",
        num_cpus=1,
        zero_copy_batch=True,
        compute=ray.data.TaskPoolStrategy(size=workers),
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
        for k, v in saved.items():
            setattr(ctx, k, v)
        if started:
            ray.shutdown()
