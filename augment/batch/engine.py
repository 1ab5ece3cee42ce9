"""Engines that run groups of units: here the local one (this process, or a pool of processes).

Whatever the engine, every group goes through :func:`augment.batch.work.process_group` and its
records come back to the driver in any order; the output bytes do not depend on the engine, the
worker count or the order.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..core.pipeline import Pipeline
from . import work
from .plan import Unit, groups_of
from .spec import RunSpec

__all__ = ["tune_process", "run_local", "preload_modules"]


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


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when its parent dies (a killed ``augment run`` leaves no
    orphan workers waiting on a queue forever)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _init_pool_worker(spec: RunSpec) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and reports; a worker
    # interrupted on its own would only print a traceback. A worker whose parent is gone exits
    # quietly (SIGPIPE, parent-death signal) instead of printing one or waiting forever.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    _die_with_parent()
    tune_process()
    work.init_worker(spec)


def _run_group(units: list[Unit]) -> list[dict]:
    return work.process_group(units)


def preload_modules(spec: RunSpec) -> list[str]:
    """What the fork server imports once for all its workers: the job, and the operator modules
    of the pipeline (they load lazily; not preloaded, every worker would import them)."""
    from ..core.compose import leaves

    ops = list(leaves(Pipeline.from_config(spec.pipeline).ops))
    return ["augment.batch", *sorted({type(op).__module__ for op in ops if type(op).__module__.startswith("augment.")})]


class _Stop(Exception):
    pass


def _kill(ex: ProcessPoolExecutor) -> None:
    """Stop a pool now: no new work, running workers killed (Ctrl-C, a fatal record)."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()
        except (OSError, AttributeError, ValueError):
            pass
    for p in procs:
        try:
            p.join(5)
        except (OSError, AssertionError, ValueError):
            pass


def _died(unit: Unit) -> dict:
    return {"unit": unit.key, "source": unit.item.source, "copy": unit.copy, "status": "failed",
            "reason": "the worker process died while doing this image (killed by a signal: out of memory?)"}


def run_local(todo: list[Unit], spec: RunSpec, workers: int, sink: Callable[[dict], bool],
              owns_process: bool) -> None:
    """Do ``todo`` in this process (``workers <= 1``) or a pool; every record goes to ``sink``,
    which returns False to stop the run (a fatal record).

    A worker that dies (the out-of-memory killer, a crash in native code) does not hang or end the
    run: the groups it may have held are done again one image at a time, each in a pool of its own,
    and the image whose worker dies alone is failed with that reason."""
    import cv2

    if workers <= 1:
        threads = cv2.getNumThreads()
        if owns_process:
            tune_process()
        work.init_worker(spec)
        try:
            for group in groups_of(todo, 1):
                for rec in work.process_group(group):
                    if not sink(rec):
                        return
        finally:
            cv2.setNumThreads(threads)
        return
    ctx: mp.context.BaseContext
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
        ctx.set_forkserver_preload(preload_modules(spec))
    pending = deque(groups_of(todo, workers))
    try:
        while pending:
            lost = _run_pool(pending, ctx, spec, workers, sink)
            for unit in (u for g in lost for u in g):  # alone, one pool each
                if _run_pool(deque([[unit]]), ctx, spec, 1, sink) and not sink(_died(unit)):
                    raise _Stop
    except _Stop:
        return


def _run_pool(pending: deque, ctx: mp.context.BaseContext, spec: RunSpec, workers: int,
              sink: Callable[[dict], bool]) -> list[list[Unit]]:
    """Run groups from ``pending`` (consumed) until it is empty or a worker dies; returns the groups
    that were in flight when one died (their records are unknown), ``[]`` otherwise."""
    ex = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_pool_worker, initargs=(spec,))
    inflight: dict = {}
    try:
        while pending or inflight:
            while pending and len(inflight) < 2 * workers:
                group = pending.popleft()
                try:
                    inflight[ex.submit(_run_group, group)] = group
                except BrokenProcessPool:  # a worker died since the last wait
                    lost = [*inflight.values(), group]
                    _kill(ex)
                    return lost
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    recs = fut.result()
                except BrokenProcessPool:
                    lost = list(inflight.values())
                    _kill(ex)
                    return lost
                del inflight[fut]
                for rec in recs:
                    if not sink(rec):
                        _kill(ex)
                        raise _Stop
    except BaseException:
        _kill(ex)  # Ctrl-C or an error: stop the workers now
        raise
    ex.shutdown(wait=True)
    return []
