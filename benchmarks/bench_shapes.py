#!/usr/bin/env python3
# ruff: noqa: T201, E402  (a command-line tool: progress on stderr; benchlib sets the thread variables first)
"""Shapes through the geometric operators: our library vs albumentations 2.0.8 and imgaug 0.4.0,
side by side in one process per peer environment (the harness of bench_ops.py: benchlib, bench_rows).

Modes
-----
  run     one peer environment, one process (that environment's python, pinned to one CPU):
            taskset -c 1 /tmp/peers-envs/albu/bin/python benchmarks/bench_shapes.py run --env albu \\
                --json-out /tmp/bench-shapes/albu-run1.json
  all     every environment in turn, --runs times, alternating (albu, imgaug, albu, ...), each under
          `taskset -c 1`, then the report:
            python benchmarks/bench_shapes.py all --augment-rev HEAD     # ~6-10 min
            python benchmarks/bench_shapes.py all --quick --out /tmp/s.md  # smoke test
  report  combine result files into Markdown (keeps the notes block of --out between the markers):
            python benchmarks/bench_shapes.py report /tmp/bench-shapes/*.json --out benchmarks/RESULTS-shapes.md

What is timed (every call builds its inputs from plain arrays inside the timed call, on every side)
------------
* Image: benchlib.make_image(512): 512x512x3 uint8 with its 5 pascal_voc boxes; in each box a
  20-point polygon (an ellipse inscribed in the box, radius wobbling +-12 %); a (512, 512) uint8
  class map with the 5 polygons filled (ids 1-5).
* Per geometric operator (bench_rows.ROWS, our kwargs and the peer call unchanged), six contestants:
    ours_boxes   op(Sample(img, boxes, labels))                    peer_boxes   boxes only
    ours_shapes  + shapes=Shapes.from_lists(5 polygons, own)       peer_shapes  + the polygons
    ours_mask    + mask=class map                                  peer_mask    + the class map
  albumentations: Compose([t], bbox_params=BboxParams("pascal_voc", label_fields=["labels"]),
  keypoint_params=KeypointParams("xy", remove_invisible=False)): the 100 polygon points as
  keypoints (albumentations has no polygons; keeping invisible points keeps the polygons whole),
  mask=; imgaug: aug(image=, bounding_boxes=BoundingBoxesOnImage.from_xyxy_array(...),
  polygons=PolygonsOnImage([Polygon(p), ...]), segmentation_maps=SegmentationMapsOnImage(...)).
  Ours use box_policy="clip" (nothing dropped for Rotate) and do more than the peers: objects get the
  tight box of their moved polygon and polygons are clipped to the canvas (imgaug does neither;
  albumentations keeps the points where they land).
* Shapes alone (--slope-ops): N objects, each a box and a 20-point polygon, N = 0, 5, 100 (random
  positions, radii 8-40 px, the same first N of 100 for every N), and ours with 100 boxes and no
  shapes; microseconds per object = (t(100) - t(5)) / 95.
* Timing as bench_ops: 3 warm-up calls, k calls per window (>= 4, ~--window s), gc off in a window;
  --rounds rounds, every contestant of a row in adjacent windows, order reversed every other round;
  ratio = peer time / our time per round (> 1: ours faster), median over rounds; a canary (Python
  loop + 512x512x3 copy) per round. Single thread (OMP etc. = 1, cv2.setNumThreads(0)).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
if not os.environ.get("BENCH_AUGMENT_SNAPSHOT"):  # the work tree's augment (the peer envs need not install it)
    sys.path.insert(1, os.path.dirname(HERE))
import argparse
import json
import platform
import shutil
import statistics
import subprocess
import time

import benchlib as L  # first: it sets the thread variables before numpy loads
import numpy as np
from bench_ops import peer_versions
from bench_rows import ROWS, peer_expr

REPO = os.path.dirname(HERE)
SIZE = 512
ENVS = {"albu": "albumentations 2.0.8", "imgaug": "imgaug 0.4.0"}
ENV_ORDER = ("albu", "imgaug")
#: (op, variant) rows of bench_ops.ROWS used here: one per operator and axis
ROW_KEYS = [("Flip", "lr"), ("Flip", "ud"), ("Crop", "no_resize"), ("Padding", "1px"), ("Resize", "224x224_linear"),
            ("Rotate", "-90..90"), ("Scale", "X"), ("Scale", "Y"), ("Shear", "X"), ("Shear", "Y"),
            ("Translate", "X"), ("Translate", "Y")]
SLOPE_KEYS = [("Flip", "lr"), ("Rotate", "-90..90"), ("Crop", "no_resize"), ("Resize", "224x224_linear")]
COUNTS = (0, 5, 100)
POINTS = 20


# --------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------
def ring(cx, cy, rx, ry, rs):
    """A 20-point polygon: an ellipse with a wobbling radius (+-12 %), float32."""
    t = np.linspace(0, 2 * np.pi, POINTS, endpoint=False)
    f = 1 + rs.uniform(-0.12, 0.12, POINTS)
    f = np.minimum(f, 1.0)  # inside the ellipse: inside its box
    return np.stack([cx + rx * f * np.cos(t), cy + ry * f * np.sin(t)], axis=1).astype(np.float32)


def make_data():
    import cv2
    img, boxes = L.make_image(SIZE)
    rs = np.random.RandomState(7)
    polys = [ring((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, (b[2] - b[0]) / 2, (b[3] - b[1]) / 2, rs) for b in boxes]
    mask = np.zeros((SIZE, SIZE), np.uint8)
    for i, p in enumerate(polys):
        cv2.fillPoly(mask, [np.round(p).astype(np.int32)], i + 1)
    many = []
    for _ in range(max(COUNTS)):
        cx, cy = rs.uniform(40, SIZE - 40, 2)
        rx, ry = rs.uniform(8, 40, 2)
        many.append(ring(cx, cy, rx, ry, rs))
    many_boxes = np.array([[*p.min(axis=0), *p.max(axis=0)] for p in many], np.float32)
    return img, boxes, polys, mask, many, many_boxes


# --------------------------------------------------------------------------------------------------
# contestants: {name: (description, zero-arg call)}
# --------------------------------------------------------------------------------------------------
def ours_calls(A, row, img, boxes, polys, mask, slope):
    from augment.geometry import OWN, Shapes
    cls = A.OPERATORS[row.op]
    op = cls(box_policy="clip", **row.ours)
    counter = iter(range(10**9))

    def call(bx, ps, m=None):
        labels = [f"obj{i}" for i in range(len(bx))]
        shapes = Shapes.from_lists([("polygon", p, i, OWN, 0.0, None) for i, p in enumerate(ps)]) if ps else None
        return op(A.Sample(img, bx if len(bx) else None, labels if len(bx) else None, shapes=shapes, mask=m),
                  seed=0, index=next(counter))

    args = ", ".join(f"{k}={v!r}" for k, v in row.ours.items())
    head = f"A.{row.op}({args}{', ' if args else ''}box_policy='clip')(A.Sample(img, boxes, labels"
    if not slope:
        return {
            "ours_boxes": (head + "))", lambda: call(boxes, None)),
            "ours_shapes": (head + ", shapes=Shapes.from_lists(5 polygons)))", lambda: call(boxes, polys)),
            "ours_mask": (head + ", shapes=..., mask=mask))", lambda: call(boxes, polys, mask)),
        }
    out = {f"ours_n{n}": (head + f"[:{n}], shapes={n} polygons))", (lambda n=n: call(boxes[:n], polys[:n])))
           for n in COUNTS}
    out["ours_boxes_n100"] = (head + "[:100]))  # no shapes", lambda: call(boxes, None))
    return out


def peer_calls(env, expr, img, boxes, polys, mask, slope):
    import warnings
    warnings.simplefilter("ignore")
    import cv2
    if env == "albu":
        import albumentations as AL
        t = eval(expr, {"A": AL, "cv2": cv2, "H": SIZE, "W": SIZE})
        ts = t if isinstance(t, list) else [t]
        bp = AL.BboxParams(format="pascal_voc", label_fields=["labels"])
        kp = AL.KeypointParams(format="xy", remove_invisible=False)
        c_boxes = AL.Compose(ts, seed=L.SEED, bbox_params=bp)
        c_shapes = AL.Compose(ts, seed=L.SEED, bbox_params=bp, keypoint_params=kp)

        def run(bx, ps, m=None, shapes=True):
            labels = list(range(len(bx)))
            if not shapes:
                return c_boxes(image=img, bboxes=bx, labels=labels)
            pts = np.concatenate(ps) if ps else np.zeros((0, 2), np.float32)
            if m is None:
                return c_shapes(image=img, bboxes=bx, labels=labels, keypoints=pts)
            return c_shapes(image=img, bboxes=bx, labels=labels, keypoints=pts, mask=m)
        desc = f"Compose([{expr.split('  #')[0]}], bbox_params"
        desc_shapes = desc + ", keypoint_params(xy, remove_invisible=False))(..., keypoints=100 points"
    else:
        import imgaug.augmenters as iaa
        from imgaug.augmentables.bbs import BoundingBoxesOnImage
        from imgaug.augmentables.polys import Polygon, PolygonsOnImage
        from imgaug.augmentables.segmaps import SegmentationMapsOnImage
        aug = eval(expr, {"iaa": iaa, "H": SIZE, "W": SIZE})
        aug.seed_(L.SEED)

        def run(bx, ps, m=None, shapes=True):
            kw = {"bounding_boxes": BoundingBoxesOnImage.from_xyxy_array(bx, shape=img.shape)}
            if shapes:
                kw["polygons"] = PolygonsOnImage([Polygon(p) for p in ps], shape=img.shape)
            if m is not None:
                kw["segmentation_maps"] = SegmentationMapsOnImage(m, shape=img.shape)
            return aug(image=img, **kw)
        desc = f"{expr.split('  #')[0]}(image=img, bounding_boxes=BoundingBoxesOnImage"
        desc_shapes = desc + ", polygons=PolygonsOnImage([Polygon(p), ...])"
    if not slope:
        return {
            "peer_boxes": (desc + ")", lambda: run(boxes, None, shapes=False)),
            "peer_shapes": (desc_shapes + ")", lambda: run(boxes, polys)),
            "peer_mask": (desc_shapes + (", mask=mask)" if env == "albu" else ", segmentation_maps=...)"),
                          lambda: run(boxes, polys, mask)),
        }
    return {f"peer_n{n}": (desc_shapes + f")  # {n} boxes + {n} polygons", (lambda n=n: run(boxes[:n], polys[:n])))
            for n in COUNTS}


def summary(out):
    if out is None:
        return "None"
    if hasattr(out, "image"):
        s = f"{tuple(out.image.shape)} {len(out.boxes)} boxes"
        if out.shapes is not None:
            s += f", {len(out.shapes)} shapes / {len(out.shapes.points)} points"
        return s + (f", mask {out.mask.shape}" if getattr(out, "mask", None) is not None else "")
    if isinstance(out, dict):
        return f"{out['image'].shape} {len(out.get('bboxes', []))} boxes {len(out.get('keypoints', []))} kps" + (
            f", mask {np.asarray(out['mask']).shape}" if "mask" in out else "")
    if isinstance(out, tuple):
        return f"{out[0].shape} " + " ".join(type(o).__name__ for o in out[1:])
    return str(type(out))


# --------------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------------
def cmd_run(args):
    import cv2
    cv2.setNumThreads(0)
    A = L.import_augment()
    img, boxes, polys, mask, many, many_boxes = make_data()
    rows_by_key = {(r.op, r.variant): r for r in ROWS}
    meta = {"env": args.env, "peer": ENVS[args.env], "python": platform.python_version(),
            "versions": peer_versions("albu" if args.env == "albu" else "imgaug"), "cv2": cv2.__version__,
            "numpy": np.__version__, "affinity": sorted(os.sched_getaffinity(0)), "rounds": args.rounds,
            "window_s": args.window, "start": time.strftime("%Y-%m-%d %H:%M:%S"), "run_label": args.run_label,
            "augment_git": L.git_state(), "augment_file": A.__file__, "loadavg_start": os.getloadavg()}
    if len(meta["affinity"]) != 1:
        print(f"warning: not pinned to one CPU (affinity {meta['affinity']}); use taskset -c 1", file=sys.stderr)
    active, recs = [], []
    plan = [(k, False) for k in ROW_KEYS if not args.only or k[0] in args.only]
    plan += [(k, True) for k in SLOPE_KEYS if (not args.only or k[0] in args.only) and not args.no_slope]
    for key, slope in plan:
        row = rows_by_key[key]
        expr = peer_expr(row, args.env)
        bx, ps = (many_boxes, many) if slope else (boxes, polys)
        rec = {"op": row.op, "variant": row.variant, "slope": slope, "calls": {}, "out": {}, "notes": []}
        recs.append(rec)
        contestants = dict(ours_calls(A, row, img, bx, ps, mask, slope))
        if expr is not None:
            contestants.update(peer_calls(args.env, expr, img, bx, ps, mask, slope))
        state = {}
        for name, (desc, call) in contestants.items():
            rec["calls"][name] = desc
            try:
                out, k = L.calibrate(call, args.window)
            except Exception as e:  # noqa: BLE001  (recorded in the report)
                rec["notes"].append(f"{name}: {type(e).__name__}: {e}"[:300])
                continue
            rec["out"][name] = summary(out)
            state[name] = (call, k, [])
        active.append((rec, state))
    t0 = time.time()
    canaries = L.interleaved_rounds(active, args.rounds, t0, lambda: {"loadavg": os.getloadavg()[0]})
    doc = {"meta": {**meta, "wall_s": round(time.time() - t0, 1), "loadavg_end": os.getloadavg()},
           "rows": recs, "canary": canaries}
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    for rec in recs:
        med = {n: statistics.median(t) * 1e6 for n, t in rec.get("times", {}).items()}
        print(f"{rec['op']:9} {rec['variant']:15} {'slope' if rec['slope'] else '':5} "
              + "  ".join(f"{n} {v:,.0f}us" for n, v in med.items()), file=sys.stderr)
    return doc


def cmd_all(args):
    taskset = shutil.which("taskset")
    env_vars = L.snapshot_env(args.augment_rev)
    os.makedirs(args.results_dir, exist_ok=True)
    files = []
    for run in range(1, args.runs + 1):
        for env in args.env or ENV_ORDER:
            py = os.path.join(args.envs_dir, env, "bin", "python")
            if not os.path.exists(py):
                print(f"skip {env}: {py} not found (bash /work/shared/peers/setup.sh {env})", file=sys.stderr)
                continue
            out = os.path.join(args.results_dir, f"{env}-run{run}.json")
            cmd = ([taskset, "-c", str(args.cpu)] if taskset else []) + [
                py, os.path.abspath(__file__), "run", "--env", env, "--json-out", out, "--rounds", str(args.rounds),
                "--window", str(args.window), "--run-label", str(run)]
            for o in args.only or []:
                cmd += ["--only", o]
            if args.no_slope:
                cmd.append("--no-slope")
            print(f"run {run} {env}: {' '.join(cmd)}", file=sys.stderr, flush=True)
            if subprocess.run(cmd, env=env_vars, cwd=REPO).returncode == 0:
                files.append(out)
    args.results = files
    cmd_report(args)


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------
def _ratios(rec, peer, ours):
    t = rec.get("times", {})
    if peer not in t or ours not in t:
        return None
    return [p / o for p, o in zip(t[peer], t[ours], strict=True)]


def _verdict(medians):
    """Over runs: past 1.5x the same way in every run is a win; under 1.5x it is a tie, unless every
    run is past 1.1x the same way (then it repeats: said so, with "< 1.5x")."""
    if not medians:
        return ""
    if all(m >= 1.5 for m in medians):
        return "ours faster"
    if all(m <= 1 / 1.5 for m in medians):
        return "peer faster"
    if len(medians) > 1 and all(m >= 1.1 for m in medians):
        return "tie (ours < 1.5x faster, repeats)"
    if len(medians) > 1 and all(m <= 1 / 1.1 for m in medians):
        return "tie (peer < 1.5x faster, repeats)"
    return "tie"


def cmd_report(args):
    docs = []
    for f in args.results:
        with open(f) as fh:
            docs.append(json.load(fh))
    lines = []
    w = lines.append
    w("# Shapes through the geometric operators: augment vs albumentations 2.0.8 and imgaug 0.4.0\n")
    w("Generated by `benchmarks/bench_shapes.py` (see its docstring for the method); 512x512x3 uint8, 5 boxes, "
      "5 polygons of 20 points, one process per peer, `taskset -c 1`, interleaved windows. "
      "Ratio = peer time / our time (> 1: ours faster); per run the median over rounds, here the median over "
      "runs with the range of the run medians. A verdict needs every run past 1.5x the same way.\n")
    w("## Runs\n")
    w("| env | run | augment | numpy | OpenCV | wall s | load avg start/end | canary py loop us (min-max) |")
    w("|---|---|---|---|---|---|---|---|")
    for d in docs:
        m = d["meta"]
        py = [c["py_loop_s"] * 1e6 for c in d["canary"]]
        w(f"| {m['env']} | {m['run_label']} | {m['augment_git']} | {m['numpy']} | {m['cv2']} | {m['wall_s']} | "
          f"{m['loadavg_start'][0]:.1f} / {m['loadavg_end'][0]:.1f} | {min(py):.0f}-{max(py):.0f} |")
    by = {}  # (env, op, variant, slope) -> [rec per run]
    for d in docs:
        for r in d["rows"]:
            by.setdefault((d["meta"]["env"], r["op"], r["variant"], r["slope"]), []).append(r)

    def med(recs, name):
        vals = [statistics.median(r["times"][name]) for r in recs if name in r.get("times", {})]
        return statistics.median(vals) if vals else None

    def ratio_cell(recs, peer, ours):
        meds = [statistics.median(x) for x in (_ratios(r, peer, ours) for r in recs) if x]
        if not meds:
            return "-", []
        return (f"{statistics.median(meds):.2f} ({min(meds):.2f}-{max(meds):.2f})" if len(meds) > 1
                else f"{meds[0]:.2f}"), meds

    for env in ENV_ORDER:
        keys = [k for k in by if k[0] == env and not k[3]]
        if not keys:
            continue
        w(f"\n## {ENVS[env]}: per call, microseconds (median), and ratios\n")
        w("| operator | ours boxes | ours +5 polygons | ours +mask | peer boxes | peer +5 polygons | peer +mask | "
          "ratio boxes | ratio polygons | ratio +mask | verdict (polygons) | polygon cost ours / peer, us |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k in sorted(keys, key=lambda k: ROW_KEYS.index((k[1], k[2]))):
            recs = by[k]
            t = {n: med(recs, n) for n in ("ours_boxes", "ours_shapes", "ours_mask", "peer_boxes", "peer_shapes",
                                            "peer_mask")}
            cells = [f"{v * 1e6:,.0f}" if v is not None else "-" for v in t.values()]
            rb, _ = ratio_cell(recs, "peer_boxes", "ours_boxes")
            rs, meds = ratio_cell(recs, "peer_shapes", "ours_shapes")
            rm, _ = ratio_cell(recs, "peer_mask", "ours_mask")
            cost = "-"
            if None not in (t["ours_shapes"], t["ours_boxes"], t["peer_shapes"], t["peer_boxes"]):
                ours_cost, peer_cost = t["ours_shapes"] - t["ours_boxes"], t["peer_shapes"] - t["peer_boxes"]
                cost = f"{ours_cost * 1e6:,.0f} / {peer_cost * 1e6:,.0f}"
            w(f"| {k[1]} {k[2]} | " + " | ".join(cells) + f" | {rb} | {rs} | {rm} | {_verdict(meds)} | {cost} |")
    w("\n## Shapes alone: N objects (a box and a 20-point polygon each), microseconds per call (median)\n")
    w("us/object = (t(100) - t(5)) / 95; `ours 100 boxes` has the 100 boxes and no polygons.\n")
    w("| env | operator | ours N=0 | ours N=5 | ours N=100 | ours 100 boxes | ours us/object | ours us/polygon "
      "(vs boxes) | peer N=0 | peer N=5 | peer N=100 | peer us/object |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for env in ENV_ORDER:
        for k in sorted((k for k in by if k[0] == env and k[3]), key=lambda k: SLOPE_KEYS.index((k[1], k[2]))):
            recs = by[k]
            o = {n: med(recs, f"ours_n{n}") for n in COUNTS}
            p = {n: med(recs, f"peer_n{n}") for n in COUNTS}
            ob = med(recs, "ours_boxes_n100")

            def us(v):
                return f"{v * 1e6:,.0f}" if v is not None else "-"

            def per(d):
                return f"{(d[100] - d[5]) / 95 * 1e6:.1f}" if d[100] is not None and d[5] is not None else "-"

            poly = f"{(o[100] - ob) / 100 * 1e6:.1f}" if o[100] is not None and ob is not None else "-"
            w(f"| {env} | {k[1]} {k[2]} | {us(o[0])} | {us(o[5])} | {us(o[100])} | {us(ob)} | {per(o)} | {poly} | "
              f"{us(p[0])} | {us(p[5])} | {us(p[100])} | {per(p)} |")
    w("\n## Calls\n")
    seen = set()
    for d in docs:
        for r in d["rows"]:
            for n, desc in r["calls"].items():
                key = (d["meta"]["env"] if n.startswith("peer") else "ours", r["op"], r["variant"], n)
                if key in seen:
                    continue
                seen.add(key)
                w(f"- {key[0]} {r['op']} {r['variant']} `{n}`: `{desc}` -> {r['out'].get(n, '?')}")
            for note in r["notes"]:
                w(f"- note {d['meta']['env']} {r['op']} {r['variant']}: {note}")
    text = "\n".join(lines) + "\n"
    if args.out:
        notes = f"{L.NOTES_START}\n(reading notes: write them here; kept on re-runs)\n{L.NOTES_END}\n"
        text = L.keep_notes(text.replace("\n## Runs\n", "\n" + notes + "\n## Runs\n", 1), args.out)
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--only", action="append", help="restrict to these operators (repeatable)")
        p.add_argument("--quick", action="store_true", help="smoke test: 3 rounds of 5 ms windows")
        p.add_argument("--rounds", type=int, default=10)
        p.add_argument("--window", type=float, default=0.05, help="seconds per timing window")
        p.add_argument("--no-slope", action="store_true", help="skip the 0 / 5 / 100 objects rows")

    r = sub.add_parser("run")
    r.add_argument("--env", required=True, choices=sorted(ENVS))
    r.add_argument("--json-out")
    r.add_argument("--run-label", default="")
    common(r)
    a = sub.add_parser("all")
    a.add_argument("--env", action="append", choices=sorted(ENVS))
    a.add_argument("--runs", type=int, default=2)
    a.add_argument("--envs-dir", default=os.environ.get("PEERS_DIR", "/tmp/peers-envs"))
    a.add_argument("--results-dir", default="/tmp/bench-shapes")
    a.add_argument("--out", default=os.path.join(HERE, "RESULTS-shapes.md"))
    a.add_argument("--cpu", type=int, default=1)
    a.add_argument("--augment-rev", help="measure this commit of augment/ (git archive to /tmp), e.g. HEAD")
    common(a)
    p = sub.add_parser("report")
    p.add_argument("results", nargs="+")
    p.add_argument("--out")
    args = ap.parse_args()
    if getattr(args, "quick", False):
        args.rounds, args.window = 3, 0.005
    {"run": cmd_run, "all": cmd_all, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
