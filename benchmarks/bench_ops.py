#!/usr/bin/env python3
"""Time every landed augment operator side by side with the peer libraries, one process per peer.

Modes
-----
  run      one peer environment, one process (run it with that environment's python, under taskset):
             taskset -c 1 /tmp/peers-envs/albu/bin/python benchmarks/bench_ops.py run --env albu \\
                 --json-out benchmarks/results/albu-run1.json
  all      what people re-run: every environment in turn, --runs times, alternating environments
           (albu, augrs, albux, imgaug, albu, augrs, ...), each under `taskset -c 1`, then the report:
             python benchmarks/bench_ops.py all            # ~10-15 min; writes results/*.json + RESULTS.md
             python benchmarks/bench_ops.py all --quick --only Rotate --out /tmp/r.md   # smoke test
  report   combine result files into Markdown (stdout, or --out FILE):
             python benchmarks/bench_ops.py report benchmarks/results/*.json --out benchmarks/RESULTS.md
           With --out, the hand-written block between the markers <!-- notes --> and <!-- /notes -->
           of the existing file is kept (so re-running `all` does not erase the reading notes).
  profile  where our per-call time goes (component micro-timings + cProfile), in the current python:
             taskset -c 1 python benchmarks/bench_ops.py profile [--only Flip] [--size 224]

Method (the same for both sides, in the same process)
------
* Single thread: OMP/OPENBLAS/MKL/NUMEXPR/VECLIB/RAYON threads = 1 set before numpy is imported,
  `cv2.setNumThreads(0)` called once by this script (augment itself never changes OpenCV's thread
  setting), the process pinned to one CPU with `taskset -c 1` (`all` does this).
* Images: the synthetic image of the peers' harness (`/work/shared/peers/bench_peers.py make_image`,
  re-implemented here with the same recipe and seeds so the numbers are comparable): 224x224x3 uint8
  without boxes, 512x512x3 uint8 with its 5 pascal_voc boxes on the geometric operators.
* Contestants per table row, all calling the same image:
    ours     `op(Sample(image, boxes, labels), seed=0, index=i)`; the Sample is built inside the timed
             call (peers convert their box input inside their call too); geometric ops use
             box_policy="clip" so nothing is dropped
    ours_default  the same with the operator's default box policy, only where that differs from clip
             (Rotate: drop_image, so most calls return None)
    bare     `op(image, seed=0, index=i)`: no Sample, no boxes (the cost of box handling = ours - bare)
    peer     the peer's matching call: albumentations/AlbumentationsX `Compose([t], seed=0)` (with
             `BboxParams(pascal_voc, label_fields=["labels"])` when boxes are given), augrs
             `Compose` likewise, imgaug augmenter (`BoundingBoxesOnImage.from_xyxy_array` inside the call)
  `index` increases with every call, so each call draws new parameters, as the peers' RNGs do.
* Timing: 3 warm-up calls, then k calls per window (k sized so a window lasts ~--window seconds,
  at least MIN_CALLS = 4, so that a slow peer's window averages a few random draws),
  gc disabled inside a window. --rounds rounds; in each round every row's contestants are timed in
  adjacent windows (order reversed every other round: A B C / C B A), and rows follow one another,
  so a slow patch of the machine hits both sides of a comparison alike. Per round, ratio =
  peer seconds per call / our seconds per call (>1: we are faster). Reported: img/s = 1 / median of
  the per-round per-call times; ratio = median of the per-round ratios, with min-max.
  A canary (pure-Python loop + 512x512x3 copy) is timed at the start of every round.
* Adding an operator is one row in bench_rows.ROWS: our constructor kwargs and, per peer library, the
  call as a Python expression (evaluated in the peer's namespace; the string is also the description).

Files: this one runs the modes (the peer adapters, our contestants, the rounds, the profile);
bench_rows.py is the table, bench_ops_report.py the report, benchlib.py what the benchmarks share
(thread set-up, the synthetic image, the timing windows and canary, the augment/ snapshot, notes).
"""
import os

import benchlib  # noqa: F401  (first: it sets the thread variables before numpy loads)

os.environ.setdefault("ALBUMENTATIONS_NO_TELEMETRY", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bench_ops_report import cmd_report, print_run  # noqa: E402
from bench_rows import ENV_ORDER, ENVS, ROWS, peer_expr  # noqa: E402
from benchlib import (  # noqa: E402
    HERE,
    SEED,
    calibrate,
    git_state,
    import_augment,
    interleaved_rounds,
    make_image,
    snapshot_env,
)

SIZES = (224, 512)
BOXES_AT = (512,)


# --------------------------------------------------------------------------------------------------
# peer adapters: build(lib) -> make(expr, size, with_boxes) -> fn(img, boxes)
# --------------------------------------------------------------------------------------------------
def peer_builder(lib):
    import warnings
    warnings.simplefilter("ignore")
    import cv2
    labels = list(range(5))
    if lib in ("albu", "albux"):
        import albumentations as A
        bbox = (A.BboxParams(coord_format="pascal_voc", label_fields=["labels"]) if lib == "albux"
                else A.BboxParams(format="pascal_voc", label_fields=["labels"]))

        def make(expr, size, with_boxes):
            t = eval(expr, {"A": A, "cv2": cv2, "H": size, "W": size})
            ts = t if isinstance(t, list) else [t]
            for x in ts:  # AlbumentationsX ignores unknown argument names with a warning only
                if getattr(x, "invalid_args", None):
                    raise ValueError(f"arguments ignored by the library: {x.invalid_args}")
            if with_boxes:
                c = A.Compose(ts, seed=SEED, bbox_params=bbox)
                return lambda img, boxes: c(image=img, bboxes=boxes, labels=labels)
            c = A.Compose(ts, seed=SEED)
            return lambda img, boxes: c(image=img)
        return make
    if lib == "augrs":
        import augrs as R

        def make(expr, size, with_boxes):
            t = eval(expr, {"R": R, "cv2": cv2, "H": size, "W": size})
            ts = t if isinstance(t, list) else [t]
            if with_boxes:
                c = R.Compose(ts, seed=SEED, bbox_params=R.BboxParams(format="pascal_voc", label_fields=["labels"]))
                return lambda img, boxes: c(image=img, bboxes=boxes, labels=labels)
            c = R.Compose(ts, seed=SEED)
            return lambda img, boxes: c(image=img)
        return make
    if lib == "imgaug":
        import imgaug as ia
        import imgaug.augmenters as iaa
        from imgaug.augmentables.bbs import BoundingBoxesOnImage
        ia.seed(SEED)

        def make(expr, size, with_boxes):
            aug = eval(expr, {"iaa": iaa, "H": size, "W": size})
            aug.seed_(SEED)
            if with_boxes:
                def fn(img, boxes):
                    out, bbs = aug(image=img, bounding_boxes=BoundingBoxesOnImage.from_xyxy_array(boxes, shape=img.shape))
                    return out, bbs.to_xyxy_array()
                return fn
            return lambda img, boxes: aug(image=img)
        return make
    raise ValueError(lib)


def peer_versions(lib):
    from importlib import metadata
    names = {"albu": ["albumentations", "albucore", "stringzilla", "simsimd"],
             "albux": ["albumentationsx", "albucore", "stringzilla", "numkong", "torch"],
             "augrs": ["augrs-py"],
             "imgaug": ["imgaug", "scipy", "scikit-image", "Shapely"]}[lib]
    out = {}
    for n in names + ["numpy", "opencv-python-headless", "opencv-python", "Pillow", "augment-manifest"]:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            pass
    return out


def out_summary(out):
    """Shape of the image and number of boxes a call returned (for the sanity columns)."""
    if out is None:
        return "None (dropped)"
    if hasattr(out, "image") and hasattr(out, "boxes"):
        return f"{tuple(out.image.shape)} +{len(out.boxes)} boxes"
    if isinstance(out, dict):
        img = out["image"]
        return f"{tuple(img.shape)}" + (f" +{len(out['bboxes'])} boxes" if "bboxes" in out else "")
    if isinstance(out, tuple):
        return f"{tuple(out[0].shape)} +{len(out[1])} boxes"
    return f"{tuple(out.shape)}"


def make_ours(A, row, size, img, boxes, with_boxes):
    """{contestant: (description, zero-arg call)} for our side of a row (may raise)."""
    cls = A.OPERATORS[row.op]
    kw = dict(row.ours)
    counter = itertools.count()
    labels = [f"obj{i}" for i in range(len(boxes))]
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    out = {}
    if row.geometric and with_boxes:
        op = cls(box_policy="clip", **kw)
        out["ours"] = (f"A.{row.op}({args}{', ' if args else ''}box_policy='clip')(A.Sample(image=img, boxes=boxes, labels=labels), seed=0, index=i)",
                       lambda: op(A.Sample(image=img, boxes=boxes, labels=labels), seed=0, index=next(counter)))
        dflt = cls(**kw)
        if dflt.policy() != op.policy():
            out["ours_default"] = (f"A.{row.op}({args})(A.Sample(...), seed=0, index=i)  # default box policy {dflt.policy().mode}",
                                   lambda: dflt(A.Sample(image=img, boxes=boxes, labels=labels), seed=0, index=next(counter)))
    else:
        op = cls(**kw)
        out["ours"] = (f"A.{row.op}({args})(A.Sample(image=img), seed=0, index=i)",
                       lambda: op(A.Sample(image=img), seed=0, index=next(counter)))
    bare = cls(**kw)
    out["bare"] = (f"A.{row.op}({args})(img, seed=0, index=i)", lambda: bare(img, seed=0, index=next(counter)))
    return out


def cmd_run(args):
    import cv2
    cv2.setNumThreads(0)
    A = import_augment()
    env = args.env
    lib = ENVS[env][0]
    make_peer = peer_builder(lib)
    meta = {"type": "meta", "env": env, "lib": lib, "peer": ENVS[env][1], "python": platform.python_version(),
            "executable": sys.executable, "versions": peer_versions(lib), "augment": A.__version__,
            "augment_operators": sorted(A.OPERATORS), "cv2": cv2.__version__, "cv2_threads": cv2.getNumThreads(),
            "affinity": sorted(os.sched_getaffinity(0)),
            "thread_env": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS")},
            "rounds": args.rounds, "window_s": args.window, "start": time.strftime("%Y-%m-%d %H:%M:%S"),
            "run_label": args.run_label, "augment_git": git_state(), "augment_file": A.__file__}
    if len(meta["affinity"]) != 1:
        print(f"warning: not pinned to one CPU (affinity {meta['affinity']}); use taskset -c 1", file=sys.stderr)
    rows, active = [], []
    t_start = time.time()
    for size in args.size:
        img, boxes = make_image(size)
        with_boxes_size = size in args.boxes_at
        for row in ROWS:
            if args.only and row.op not in args.only:
                continue
            wb = with_boxes_size and row.geometric
            rec = {"op": row.op, "variant": row.variant, "size": size, "boxes": wb, "geometric": row.geometric,
                   "calls": {}, "out": {}, "status": "ok", "notes": []}
            rows.append(rec)
            expr = peer_expr(row, lib)
            if row.op not in A.OPERATORS:
                rec["status"] = "ours_missing"
                rec["notes"].append(f"{row.op} not in augment.OPERATORS")
                continue
            if expr is None:
                rec["status"] = "peer_none"
                rec["notes"].append(f"{ENVS[env][1]} has no matching call")
            contestants = {}
            try:
                contestants.update(make_ours(A, row, size, img, boxes, wb))
            except Exception as e:  # e.g. the operator landed with other parameter names
                rec["status"] = "ours_error"
                rec["notes"].append(f"ours: {type(e).__name__}: {e}"[:300])
                continue
            if expr is not None:
                try:
                    fn = make_peer(expr, size, wb)
                    contestants["peer"] = (expr, (lambda fn=fn, im=img, b=(boxes if wb else None): fn(im, b)))
                except Exception as e:
                    rec["status"] = "peer_error"
                    rec["notes"].append(f"peer: {type(e).__name__}: {e}"[:300])
            state = {}
            for name, (desc, call) in contestants.items():
                rec["calls"][name] = desc
                try:
                    out, k = calibrate(call, args.window)
                except Exception as e:
                    rec["notes"].append(f"{name}: {type(e).__name__}: {e}"[:300])
                    if name == "peer":
                        rec["status"] = "peer_error"
                    else:
                        rec["status"] = "ours_error"
                    continue
                rec["out"][name] = out_summary(out)
                state[name] = (call, k, [])
            if rec["status"] == "ours_error":
                continue
            rec["k"] = {n: s[1] for n, s in state.items()}
            active.append((rec, state))
    canaries = interleaved_rounds(active, args.rounds, t_start, lambda: {"t": round(time.time() - t_start, 1)})
    for rec, state in active:
        rec["img_s"] = {n: 1.0 / statistics.median(s[2]) for n, s in state.items()}
        if "peer" in state:
            peer = state["peer"][2]
            rec["ratio"] = {}
            for n, s in state.items():
                if n == "peer":
                    continue
                r = [p / o for p, o in zip(peer, s[2])]
                rec["ratio"][n] = {"median": statistics.median(r), "min": min(r), "max": max(r), "rounds": r}
    doc = {"meta": {**meta, "wall_s": round(time.time() - t_start, 1)}, "rows": rows, "canary": canaries}
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    print_run(doc, sys.stderr)
    return doc


# --------------------------------------------------------------------------------------------------
# all: every environment, alternating, under taskset
# --------------------------------------------------------------------------------------------------
def cmd_all(args):
    envs = [e for e in (args.env or ENV_ORDER)]
    outdir = args.results_dir
    os.makedirs(outdir, exist_ok=True)
    taskset = shutil.which("taskset")
    env_vars = snapshot_env(args.augment_rev)
    files = []
    t0 = time.time()
    for run in range(1, args.runs + 1):
        for env in envs:
            py = os.path.join(args.envs_dir, env, "bin", "python")
            if not os.path.exists(py):
                print(f"skip {env}: {py} not found", file=sys.stderr)
                continue
            out = os.path.join(outdir, f"{env}-run{run}.json")
            cmd = ([taskset, "-c", str(args.cpu)] if taskset else []) + [
                py, os.path.abspath(__file__), "run", "--env", env, "--json-out", out,
                "--rounds", str(args.rounds), "--window", str(args.window), "--run-label", str(run)]
            for s in args.size or []:
                cmd += ["--size", str(s)]
            for o in args.only or []:
                cmd += ["--only", o]
            if args.quick:
                cmd.append("--quick")
            print(f"[{time.time() - t0:5.0f} s] run {run} {env}: {' '.join(cmd)}", file=sys.stderr, flush=True)
            p = subprocess.run(cmd, env=env_vars)
            if p.returncode == 0:
                files.append(out)
            else:
                print(f"  {env} run {run} FAILED (exit {p.returncode})", file=sys.stderr)
    print(f"all: {time.time() - t0:.0f} s", file=sys.stderr)
    args.results = files
    cmd_report(args)


# --------------------------------------------------------------------------------------------------
# profile: where our microseconds go
# --------------------------------------------------------------------------------------------------
def cmd_profile(args):
    import cProfile
    import io
    import pstats
    import timeit
    import cv2
    cv2.setNumThreads(0)
    A = import_augment()
    from augment.random import LazyRng, check_seed, rng as make_rng
    from augment.structures import image_meta
    from augment.kernels.boxes import transform_boxes

    def t(fn, n=None):
        """best-of-9 µs per call (windows of ~10 ms): the cost without the machine's noise."""
        if n is None:
            one = timeit.timeit(fn, number=3) / 3
            n = max(1, int(0.01 / max(one, 1e-7)))
        return min(timeit.repeat(fn, number=n, repeat=9)) / n * 1e6

    for size in args.size:
        img, boxes = make_image(size)
        labels = [f"obj{i}" for i in range(5)]
        print(f"\n=== {size}x{size}x3, {'5 boxes' if size in args.boxes_at else 'no boxes'} (µs per call, best of 9 windows) ===")
        wb = size in args.boxes_at
        s = A.Sample(image=img, boxes=boxes if wb else None, labels=labels if wb else None)
        print(f"  check_seed(0)                       {t(lambda: check_seed(0)):8.2f}")
        print(f"  LazyRng(0, 0, i, 0)                 {t(lambda: LazyRng(0, 0, 7, 0)):8.2f}")
        print(f"  rng(0, 0, i, 0) (SeedSequence+PCG64+Generator) {t(lambda: make_rng(0, 0, 7, 0)):8.2f}")
        g = make_rng(0)
        print(f"  float(gen.random())                 {t(lambda: float(g.random())):8.2f}")
        print(f"  gen.uniform(0, 0.2, size=4)         {t(lambda: g.uniform(0.0, 0.2, size=4)):8.2f}")
        print(f"  np.random.SeedSequence(0, spawn_key=(0, i, 0))  {t(lambda: np.random.SeedSequence(0, spawn_key=(0, 7, 0))):8.2f}")
        print(f"  np.random.PCG64(seedseq)            {t(lambda: np.random.PCG64(np.random.SeedSequence(0))):8.2f}  (incl. a SeedSequence(0))")
        print(f"  A.Sample(image=img)                 {t(lambda: A.Sample(image=img)):8.2f}")
        print(f"  A.Sample(image, boxes, labels)      {t(lambda: A.Sample(image=img, boxes=boxes, labels=labels)):8.2f}")
        print(f"  sample.validate()                   {t(lambda: s.validate('x')):8.2f}")
        print(f"  image_meta(img)                     {t(lambda: image_meta(img)):8.2f}")
        m = np.eye(3)
        print(f"  transform_boxes(5 boxes)            {t(lambda: transform_boxes(boxes, m)):8.2f}")
        print(f"  CLIP.apply(5 boxes)                 {t(lambda: A.BoxPolicy('clip').apply(boxes, size, size)):8.2f}")
        print(f"  cv2.flip(img, 1)                    {t(lambda: cv2.flip(img, 1)):8.2f}")
        print(f"  img.copy()                          {t(lambda: img.copy()):8.2f}")
        M = cv2.getRotationMatrix2D((size / 2, size / 2), 30, 1.0)
        print(f"  cv2.warpAffine(bilinear, const)     {t(lambda: cv2.warpAffine(img, M, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)):8.2f}")
        for row in ROWS:
            if args.only and row.op not in args.only:
                continue
            if row.op not in A.OPERATORS:
                continue
            try:
                cs = make_ours(A, row, size, img, boxes, wb and row.geometric)
            except Exception as e:
                print(f"  {row.op} {row.variant}: {type(e).__name__}: {e}")
                continue
            op = A.OPERATORS[row.op](**({"box_policy": "clip"} if row.geometric else {}), **row.ours)
            ss = s if row.geometric else A.Sample(image=img)
            cnt = itertools.count()
            meta = image_meta(img)
            params = op.sample(LazyRng(0, 0, 3, 0), meta)
            parts = [("ours (Sample built inside)", cs["ours"][1]), ("op(prebuilt sample)", lambda: op(ss, seed=0, index=next(cnt))),
                     ("bare op(img)", cs["bare"][1]),
                     ("  op.sample(LazyRng, meta)", lambda: op.sample(LazyRng(0, 0, next(cnt), 0), meta)),
                     ("  op.apply_image(img, params)", lambda: op.apply_image(img, params))]
            if row.geometric:
                parts.append(("  op.matrix(params, meta)", lambda: op.matrix(params, meta)))
                if wb:
                    moved = op.apply_boxes(boxes, params, meta)
                    pol = op.policy()
                    res = pol.apply(moved, size, size)
                    new_img = op.apply_image(img, params)
                    parts += [("  op.apply_boxes(boxes, params, meta)", lambda: op.apply_boxes(boxes, params, meta)),
                              ("  policy.apply(moved, H, W)", lambda: pol.apply(moved, size, size)),
                              ("  sample.validate()", lambda: ss.validate(row.op)),
                              ("  sample.with_boxes(...)", lambda: ss.with_boxes(new_img, res[0], res[1]))]
            print(f"  --- {row.op} {row.variant}")
            for name, fn in parts:
                print(f"    {name:40} {t(fn):8.2f}")
            if args.cprofile:
                pr = cProfile.Profile()
                call = cs["ours"][1]
                pr.enable()
                for _ in range(args.cprofile):
                    call()
                pr.disable()
                buf = io.StringIO()
                st = pstats.Stats(pr, stream=buf)
                st.sort_stats("tottime").print_stats(14)
                print("\n".join("      " + ln for ln in buf.getvalue().splitlines() if ln.strip())[:3500])


# --------------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--size", type=int, action="append", help="image size (repeatable; default 224 and 512)")
        p.add_argument("--boxes-at", type=int, action="append", help="sizes at which geometric ops get the 5 boxes (default 512)")
        p.add_argument("--only", action="append", help="restrict to these operators (repeatable)")
        p.add_argument("--quick", action="store_true", help="smoke test: 3 rounds of 5 ms windows")
        p.add_argument("--rounds", type=int, default=10)
        p.add_argument("--window", type=float, default=0.025, help="seconds per timing window")

    r = sub.add_parser("run", help="one peer environment (use that env's python)")
    r.add_argument("--env", required=True, choices=sorted(ENVS))
    r.add_argument("--json-out")
    r.add_argument("--run-label", default="")
    common(r)
    a = sub.add_parser("all", help="every environment, --runs times, alternating; then the report")
    a.add_argument("--env", action="append", choices=sorted(ENVS), help="default: all four")
    a.add_argument("--runs", type=int, default=2)
    a.add_argument("--envs-dir", default=os.environ.get("PEERS_DIR", "/tmp/peers-envs"))
    a.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    a.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    a.add_argument("--cpu", type=int, default=1)
    a.add_argument("--augment-rev", help="measure this commit of augment/ (git archive to /tmp, put first on "
                   "PYTHONPATH) instead of the work tree, e.g. HEAD")
    common(a)
    p = sub.add_parser("report")
    p.add_argument("results", nargs="+")
    p.add_argument("--out", help="write here (keeps the existing notes block) instead of stdout")
    f = sub.add_parser("profile", help="per-call cost breakdown of our operators (current python)")
    f.add_argument("--cprofile", type=int, default=0, help="also cProfile N calls of each op")
    common(f)
    args = ap.parse_args()
    if args.cmd in ("run", "all", "profile"):
        args.size = args.size or list(SIZES)
        args.boxes_at = args.boxes_at or list(BOXES_AT)
        if args.quick:
            args.rounds, args.window = 3, 0.005
    if args.cmd == "run":
        cmd_run(args)
    elif args.cmd == "all":
        cmd_all(args)
    elif args.cmd == "report":
        cmd_report(args)
    else:
        cmd_profile(args)


if __name__ == "__main__":
    main()
