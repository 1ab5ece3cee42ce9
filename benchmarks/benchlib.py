"""What the benchmarks share: single-threaded set-up, the synthetic images, the timing windows,
the machine description, the snapshot of augment/ to measure, and the hand-written notes block of a
RESULTS file.

Import it before numpy (``import benchlib`` first): it sets the thread variables of the numerical
libraries to 1 (unless set), which they read when they load.

* Images: :func:`make_image` is the synthetic image of the peers' harness
  (``/work/shared/peers/bench_peers.py make_image``, same recipe and seeds, so the numbers are
  comparable): gradients, four low-frequency waves, five shapes on a 3x2 grid (rectangles and
  ellipses, their boxes returned) and sensor-like noise. :func:`photo_like` is bench_batch's
  per-image variant (random gradients and waves, float32); both draw their shapes with
  :func:`draw_shapes`.
* Timing (bench_ops, bench_shapes): :func:`calibrate` sizes a window to ``target`` seconds (at
  least :data:`MIN_CALLS` calls), :func:`window` times one (gc off), :func:`canary` probes the
  machine's speed at the start of every round, :func:`interleaved_rounds` runs the rounds.
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "RAYON_NUM_THREADS")
for _v in THREAD_VARIABLES:
    os.environ.setdefault(_v, "1")

import gc  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEED = 0
NOTES_START, NOTES_END = "<!-- notes -->", "<!-- /notes -->"


# --------------------------------------------------------------------------------------------------
# synthetic images
# --------------------------------------------------------------------------------------------------
def draw_shapes(img, xx, yy, rs):
    """Five shapes on a 3x2 grid of ``img`` (square, in place): rectangles (even i) and ellipses
    (odd i), blended 35/65 with a random colour; returns their ``(5, 4)`` float32 xyxy boxes.
    ``xx`` / ``yy`` are the pixel coordinates, in ``img``'s float dtype."""
    h, w = img.shape[:2]
    size = w
    boxes = []
    for i in range(5):
        bw, bh = rs.randint(size // 10, size // 4, 2)
        x0 = rs.randint(int((i % 3) * w / 3), int((i % 3 + 1) * w / 3) - bw)
        y0 = rs.randint(int((i // 3) * h / 2), int((i // 3 + 1) * h / 2) - bh)
        colour = rs.randint(0, 256, 3).astype(img.dtype)
        if i % 2 == 0:
            mask = np.ones((bh, bw), bool)
        else:
            cy, cx = y0 + bh / 2.0, x0 + bw / 2.0
            sy, sx = yy[y0:y0 + bh, x0:x0 + bw], xx[y0:y0 + bh, x0:x0 + bw]
            mask = ((sy + 0.5 - cy) / (bh / 2.0)) ** 2 + ((sx + 0.5 - cx) / (bw / 2.0)) ** 2 <= 1.0
        region = img[y0:y0 + bh, x0:x0 + bw]
        region[mask] = 0.35 * region[mask] + 0.65 * colour
        boxes.append([x0, y0, x0 + bw, y0 + bh])
    return np.array(boxes, dtype=np.float32)


def _to_uint8(img):
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def make_image(size, seed=SEED):
    """The peers' harness image: ``size`` x ``size`` x 3 uint8 and its 5 pascal_voc boxes."""
    rs = np.random.RandomState(seed + size)
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3), np.float64)
    img[..., 0] = 40 + 150 * xx / w
    img[..., 1] = 60 + 120 * yy / h
    img[..., 2] = 90 + 60 * np.sin(2 * np.pi * (xx + yy) / (0.7 * size))
    for _ in range(4):  # low-frequency sinusoids
        fx, fy = rs.uniform(0.5, 4.0, 2) * 2 * np.pi / size
        phase = rs.uniform(0, 2 * np.pi)
        amp = rs.uniform(5, 20)
        img += (amp * np.sin(fx * xx + fy * yy + phase))[..., None] * rs.uniform(0.5, 1.0, 3)
    boxes = draw_shapes(img, xx, yy, rs)
    img += rs.normal(0, 6, img.shape)
    return _to_uint8(img), boxes


def photo_like(seed, size=512):
    """A 'photo' for the batch job: random gradients + low-frequency waves + 5 shapes + sensor-like
    noise, per-image ``seed`` (float32: 500 of them are made), and the shapes' boxes."""
    rs = np.random.RandomState(seed)
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    a, b, c = rs.uniform(20, 80, 3)
    img[..., 0] = a + rs.uniform(80, 170) * xx / w
    img[..., 1] = b + rs.uniform(60, 150) * yy / h
    img[..., 2] = c + 60 * np.sin(2 * np.pi * (xx + yy) / (rs.uniform(0.4, 1.0) * size))
    for _ in range(4):
        fx, fy = rs.uniform(0.5, 6.0, 2) * 2 * np.pi / size
        amp = rs.uniform(5, 20)
        phase = rs.uniform(0, 2 * np.pi)
        img += (amp * np.sin(fx * xx + fy * yy + phase))[..., None] * rs.uniform(0.5, 1.0, 3).astype(np.float32)
    boxes = draw_shapes(img, xx, yy, rs)
    img += rs.normal(0, 5, img.shape).astype(np.float32)
    return _to_uint8(img), boxes


# --------------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------------
_CAN_SRC = np.zeros((512, 512, 3), np.uint8)
_CAN_DST = np.empty_like(_CAN_SRC)


def canary():
    """Library-independent machine-speed probe: (pure-Python loop s, 512x512x3 copy s), min of 3."""
    py, mem = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        x = 0
        for i in range(20000):
            x += i
        py.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(20):
            np.copyto(_CAN_DST, _CAN_SRC)
        mem.append((time.perf_counter() - t0) / 20)
    return min(py), min(mem)


def window(call, k):
    """Seconds per call over k consecutive calls, gc off."""
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(k):
            call()
        return (time.perf_counter() - t0) / k
    finally:
        gc.enable()


MIN_CALLS = 4  # per window: one slow call (imgaug Weather ~60-100 ms) would make a window one draw


def calibrate(call, target):
    for _ in range(3):
        out = call()
    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    return out, max(MIN_CALLS, int(target / max(one, 1e-7)))



def interleaved_rounds(active, rounds, t_start, canary_fields):
    """Time every contestant of every row, ``rounds`` times: in each round the canary first, then each
    row's contestants in adjacent windows (order reversed every other round: A B C / C B A), rows one
    after another, so that a slow patch of the machine hits both sides of a comparison alike.

    ``active``: ``[(record, {name: (call, calls per window, times)})]``; each window's seconds per
    call is appended to its ``times`` (NaN, and a note in ``record["notes"]``, when the call fails),
    and ``record["times"]`` is set to them. ``canary_fields()`` adds to each round's canary entry.
    Returns the canary entries."""
    canaries = []
    for rnd in range(rounds):
        py, mem = canary()
        canaries.append({"round": rnd + 1, "py_loop_s": py, "copy512_s": mem, **canary_fields()})
        for rec, state in active:
            names = list(state)
            if rnd % 2:
                names.reverse()
            for n in names:
                call, k, times = state[n]
                try:
                    times.append(window(call, k))
                except Exception as e:  # noqa: BLE001  (a peer's failure is recorded, the run goes on)
                    rec["notes"].append(f"{n} failed while timing: {type(e).__name__}: {e}"[:300])
                    times.append(float("nan"))
        print(f"round {rnd + 1}/{rounds} done at {time.time() - t_start:.0f} s", file=sys.stderr, flush=True)
    for rec, state in active:
        rec["times"] = {n: s[2] for n, s in state.items()}
    return canaries


def import_augment():
    """import augment; from the snapshot named by BENCH_AUGMENT_SNAPSHOT when set (the editable install's
    import hook would otherwise win over PYTHONPATH)."""
    snap = os.environ.get("BENCH_AUGMENT_SNAPSHOT")
    if snap:
        import importlib.util
        pkg = os.path.join(snap, "augment")
        spec = importlib.util.spec_from_file_location("augment", os.path.join(pkg, "__init__.py"),
                                                      submodule_search_locations=[pkg])
        mod = importlib.util.module_from_spec(spec)
        sys.modules["augment"] = mod
        spec.loader.exec_module(mod)
    import augment
    return augment


def git_state():
    """The commit the library was measured at, and whether augment/ had uncommitted changes."""
    if os.environ.get("BENCH_AUGMENT_REV"):
        return os.environ["BENCH_AUGMENT_REV"] + " (git archive snapshot)"
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "augment"], capture_output=True, text=True).stdout
        return head + (f" + uncommitted changes in {len(dirty.splitlines())} augment/ file(s)" if dirty.strip() else "")
    except OSError:
        return "?"



def machine_info():
    info = {"cpus": os.cpu_count()}
    try:
        txt = open("/proc/cpuinfo").read()
        for key in ("model name", "cpu family", "model", "cache size"):
            for line in txt.splitlines():
                if line.split(":")[0].strip() == key:
                    info[key] = line.split(":", 1)[1].strip()
                    break
        flags = next((ln for ln in txt.splitlines() if ln.startswith("flags")), "")
        info["simd"] = " ".join(f for f in flags.split() if f in ("sse4_2", "avx", "avx2", "fma", "avx512f"))
    except OSError:
        pass
    info["kernel"] = platform.release()
    try:
        info["virtualisation"] = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        pass
    try:
        info["load average (at report time)"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return info


def snapshot_env(augment_rev: str | None) -> dict:
    """The environment for the peer processes (bench_ops, bench_shapes): with ``augment_rev``, ``augment/`` at that commit is
    unpacked to /tmp and named in BENCH_AUGMENT_SNAPSHOT, so that a committed state is measured, not
    the (possibly half-edited) work tree."""
    env_vars = dict(os.environ)
    if augment_rev:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", augment_rev], capture_output=True,
                             text=True, check=True).stdout.strip()
        snap = os.path.join("/tmp", f"augment-snapshot-{rev}")
        os.makedirs(snap, exist_ok=True)
        arc = subprocess.run(["git", "-C", REPO, "archive", rev, "augment"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", snap], input=arc, check=True)
        env_vars["BENCH_AUGMENT_SNAPSHOT"] = snap
        env_vars["BENCH_AUGMENT_REV"] = rev
        print(f"measuring augment at {rev} (snapshot {snap})", file=sys.stderr)
    return env_vars


# --------------------------------------------------------------------------------------------------
# RESULTS files
# --------------------------------------------------------------------------------------------------
def keep_notes(text, path):
    """``text`` (a generated RESULTS file holding a notes block) with the hand-written notes block of
    the file at ``path`` instead of its own, when that file exists and has one; so re-running a
    benchmark does not erase the reading notes."""
    block = re.compile(re.escape(NOTES_START) + ".*?" + re.escape(NOTES_END), re.S)
    if not path or not os.path.exists(path):
        return text
    with open(path, encoding="utf-8") as f:
        old = block.search(f.read())
    if old is None or block.search(text) is None:
        return text
    return block.sub(lambda _m: old.group(0), text, count=1)
