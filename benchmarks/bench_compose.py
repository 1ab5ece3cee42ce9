"""Composed pipelines (#16): the realistic albumentations-style pipeline, ours next to albumentations
2.0.8 and augrs 0.1.0, and the cost of the containers themselves.

    python benchmarks/bench_compose.py all [--rounds 7] [--window 0.3] [--runs 3]
        -> benchmarks/results/compose-*.json and benchmarks/RESULTS-compose.md
    python benchmarks/bench_compose.py run --peer albu|augrs --out FILE   (inside that peer's env)
    python benchmarks/bench_compose.py overhead --out FILE                 (ours only, this env)
    python benchmarks/bench_compose.py overhead-ab --against REV [--runs 3]  (REV's augment, then the work
        tree's, alternating -> results/compose-overhead-{before-,}run*.json, and the report)
    python benchmarks/bench_compose.py report

The pipeline (the issue's): flip half the time, one of three blurs, two of five colour changes,
rotate 30 % of the time, on the peers' 512 x 512 harness image (benchlib.make_image) with its 5
boxes (and without boxes). Each side is called repeatedly on the same input, its own random state
advancing (ours: a new sample index per call), so each window averages over the branches taken.

* ours: ``Pipeline([Flip(p=0.5), OneOf([Blur(Gauss), Blur(Average, k 3..7), MotionBlur]),
  SomeOf([LightContrast(gamma), LightArithmetic, Saturation, Grayscale, LightContrast(linear)],
  n=2), Rotate(-30..30, p=0.3, box_policy="clip")])``;
* albumentations: ``Compose([HorizontalFlip(p=0.5), OneOf([GaussianBlur, Blur, MotionBlur]),
  SomeOf([RandomGamma, RandomBrightnessContrast, HueSaturationValue, ToGray,
  RandomBrightnessContrast(contrast only)], n=2), Rotate(limit=30, p=0.3)], bbox_params=pascal_voc)``,
  children at p=1 (their p is a weight in OneOf/SomeOf);
* augrs (no average or motion blur): the OneOf holds three GaussianBlur ranges (APPROX).

The operators are the closest each library has (bench_rows.py gives the per-operator matches);
the comparison is of whole pipelines as a user would write them. Timing as bench_ops: ours and the
peer in the same process (the peer's environment, ours imported from the work tree), 3 warm-up
calls, windows of ~--window s (gc off), both sides in adjacent windows with the order reversed
every other round; ratio = peer time / our time per round (> 1: ours faster), median over rounds;
single thread (OMP etc. = 1, cv2.setNumThreads(0)).

Container overhead (ours): per call, ``Pipeline([Sequential([op])])`` (and OneOf of 3, SomeOf n=2
of 5, Sometimes(1.0), op with p close to 1) minus ``Pipeline([op])`` with ``op`` = Flip(flip_p=0),
which does nothing, on an 8 x 8 image with 2 boxes: what deciding, the per-position streams and the
plan cost, not the pixels.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # the work tree's augment (the peer envs do not install it)
import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import benchlib as L  # noqa: E402  first: it sets the thread variables before numpy loads
import numpy as np  # noqa: E402

RESULTS = os.path.join(HERE, "results")
REPORT = os.path.join(HERE, "RESULTS-compose.md")
ENVS = {"albu": "/tmp/peers-envs/albu/bin/python", "augrs": "/tmp/peers-envs/augrs/bin/python"}
SIZE = 512


def ours_pipeline(A):
    return A.Pipeline(
        [
            A.Flip(p=0.5),
            A.OneOf([A.Blur(sigma_min=0.0, sigma_max=3.0), A.Blur(blur_type="Average", k_min=3, k_max=7),
                     A.MotionBlur(k_min=3, k_max=7)]),
            A.SomeOf([A.LightContrast(func="gamma"), A.LightArithmetic(), A.Saturation(), A.Grayscale(),
                      A.LightContrast(func="linear")], n=2),
            A.Rotate(angle_min=-30, angle_max=30, p=0.3, box_policy="clip"),
        ],
        seed=0,
    )


def peer_pipeline(lib, with_boxes):
    import cv2

    if lib == "albu":
        import albumentations as X

        blurs = [X.GaussianBlur(blur_limit=0, sigma_limit=(0.0, 3.0), p=1), X.Blur(blur_limit=(3, 7), p=1),
                 X.MotionBlur(blur_limit=(3, 7), p=1)]
        colour = [X.RandomGamma(gamma_limit=(70, 170), p=1),
                  X.RandomBrightnessContrast(brightness_limit=(-30 / 255, 30 / 255), contrast_limit=(-0.3, 0.3), p=1),
                  X.HueSaturationValue(hue_shift_limit=20, sat_shift_limit=30, val_shift_limit=0, p=1),
                  X.ToGray(num_output_channels=3, p=1),
                  X.RandomBrightnessContrast(brightness_limit=(0, 0), contrast_limit=(-0.4, 0.4), p=1)]
        ts = [X.HorizontalFlip(p=0.5), X.OneOf(blurs, p=1), X.SomeOf(colour, n=2, p=1),
              X.Rotate(limit=(-30, 30), border_mode=cv2.BORDER_CONSTANT, fill=0, p=0.3)]
        bbox = X.BboxParams(format="pascal_voc", label_fields=["labels"]) if with_boxes else None
        return X.Compose(ts, seed=0, bbox_params=bbox)
    import augrs as R

    blurs = [R.GaussianBlur(blur_limit=0, sigma_limit=(0.0, 3.0), p=1),
             R.GaussianBlur(blur_limit=0, sigma_limit=(0.5, 1.5), p=1),
             R.GaussianBlur(blur_limit=0, sigma_limit=(1.0, 2.0), p=1)]  # APPROX: no average/motion blur
    colour = [R.RandomGamma(gamma_limit=(70, 170), p=1),
              R.RandomBrightnessContrast(brightness_limit=(-30 / 255, 30 / 255), contrast_limit=(-0.3, 0.3), p=1),
              R.HueSaturationValue(hue_shift_limit=20, sat_shift_limit=30, val_shift_limit=0, p=1),
              R.ToGray(num_output_channels=3, p=1),
              R.RandomBrightnessContrast(brightness_limit=(0, 0), contrast_limit=(-0.4, 0.4), p=1)]
    ts = [R.HorizontalFlip(p=0.5), R.OneOf(blurs, p=1), R.SomeOf(colour, n=2, p=1),
          R.Rotate(limit=(-30, 30), border_mode=0, fill=0, p=0.3)]
    if with_boxes:
        return R.Compose(ts, seed=0, bbox_params=R.BboxParams(format="pascal_voc", label_fields=["labels"]))
    return R.Compose(ts, seed=0)


def _versions(lib):
    import importlib.metadata as md

    import cv2

    name = {"albu": "albumentations", "augrs": "augrs-py"}[lib]
    return {name: md.version(name), "numpy": np.__version__, "opencv": cv2.__version__}


def cmd_run(args):
    import cv2

    cv2.setNumThreads(0)
    A = L.import_augment()
    img, boxes = L.make_image(SIZE)
    labels = list(range(len(boxes)))
    sample = A.Sample(img, boxes, labels=[str(i) for i in labels])
    ours = ours_pipeline(A)
    counter = iter(range(10**9))
    rows = []
    for with_boxes in (True, False):
        peer = peer_pipeline(args.peer, with_boxes)
        if with_boxes:
            def mine():
                return ours(sample, index=next(counter))

            def theirs(peer=peer):
                return peer(image=img, bboxes=boxes, labels=labels)
        else:
            def mine():
                return ours(img, index=next(counter))

            def theirs(peer=peer):
                return peer(image=img)
        _, k_ours = L.calibrate(mine, args.window)
        _, k_peer = L.calibrate(theirs, args.window)
        rec = {"row": f"realistic {SIZE}" + (" + 5 boxes" if with_boxes else ", no boxes"), "notes": []}
        rows.append((rec, {"ours": (mine, k_ours, []), args.peer: (theirs, k_peer, [])}))
    t0 = time.time()
    canaries = L.interleaved_rounds(rows, args.rounds, t0, dict)
    out = {"peer": args.peer, "versions": _versions(args.peer), "git": L.git_state(), "machine": L.machine_info(),
           "rounds": args.rounds, "canaries": canaries, "rows": [rec for rec, _ in rows],
           "loadavg": os.getloadavg()}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


def cmd_overhead(args):
    import cv2

    cv2.setNumThreads(0)
    A = L.import_augment()
    op = A.Flip(flip_p=0.0)  # draws one value and returns a copy: the cheapest operator call
    small = A.Sample(np.zeros((8, 8, 3), np.uint8), [[1, 1, 4, 4], [2, 2, 6, 7]], labels=["a", "b"])
    cases = {
        "op": A.Pipeline([op], seed=0),
        "op, p=0.999": A.Pipeline([op.evolve(p=0.999)], seed=0),
        "Sequential([op])": A.Pipeline([A.Sequential([op])], seed=0),
        "OneOf(3 ops)": A.Pipeline([A.OneOf([op, op, op])], seed=0),
        "Sometimes(1.0, op)": A.Pipeline([A.Sometimes(1.0, op)], seed=0),
        "op, op": A.Pipeline([op, op], seed=0),
        "SomeOf(5 ops, n=2)": A.Pipeline([A.SomeOf([op] * 5, n=2)], seed=0),
    }
    counter = iter(range(10**9))

    def timed():
        state = {}
        for name, p in cases.items():
            def call(p=p):
                return p(small, index=next(counter))

            _, k = L.calibrate(call, args.window)
            state[name] = (call, k, [])
        rec = {"row": "overhead", "notes": []}
        L.interleaved_rounds([(rec, state)], args.rounds, time.time(), dict)
        return rec["times"]

    times = timed()
    # the framework alone: the operator's own work (checks, boxes, copy) replaced by returning the sample
    type(op).run = lambda self, sample, rng, params=None, policy=None: A.Outcome(sample, None)
    stubbed = timed()
    out = {"git": L.git_state(), "rounds": args.rounds, "times": times, "stubbed": stubbed, "loadavg": os.getloadavg()}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


def cmd_overhead_ab(args):
    """``overhead`` of augment at ``--against`` (a git archive snapshot) and of the work tree,
    alternating run by run, each in a fresh process: compose-overhead-before-run*.json and
    compose-overhead-run*.json, then the report."""
    os.makedirs(RESULTS, exist_ok=True)
    before_env = L.snapshot_env(args.against)
    for run in range(1, args.runs + 1):
        for env, name in ((before_env, f"compose-overhead-before-run{run}.json"), (None, f"compose-overhead-run{run}.json")):
            subprocess.run([sys.executable, __file__, "overhead", "--out", os.path.join(RESULTS, name), "--rounds",
                            str(args.rounds), "--window", str(args.window)], check=True, env=env)
    cmd_report(args)


def cmd_all(args):
    os.makedirs(RESULTS, exist_ok=True)
    for stale in _paths("compose-overhead-before-run*.json"):  # an earlier overhead-ab's, not this run's pair
        os.remove(stale)
    for run in range(1, args.runs + 1):
        for peer, py in ENVS.items():
            if not os.path.exists(py):
                print(f"{peer}: no environment at {py} (see /work/shared/peers/setup.sh)", file=sys.stderr)
                continue
            out = os.path.join(RESULTS, f"compose-{peer}-run{run}.json")
            subprocess.run([py, __file__, "run", "--peer", peer, "--out", out, "--rounds", str(args.rounds),
                            "--window", str(args.window)], check=True)
        out = os.path.join(RESULTS, f"compose-overhead-run{run}.json")
        subprocess.run([sys.executable, __file__, "overhead", "--out", out, "--rounds", str(args.rounds),
                        "--window", str(args.window)], check=True)
    cmd_report(args)


def _paths(pattern):
    import glob

    return sorted(glob.glob(os.path.join(RESULTS, pattern)))


def _load(pattern):
    out = []
    for path in _paths(pattern):
        with open(path) as f:
            out.append(json.load(f))
    return out


def _overhead_tables(runs, label):
    """The two overhead tables (with the operator's own work, and the framework alone) of one set of
    runs; ``label`` "before" / "after" when the set is one side of ``overhead --against``."""
    side = f", **{label}**" if label else ""
    lines = ["## Container overhead (ours)" + (f": {label}" if label else ""), "",
             f"Measured at {runs[0]['git']}; per call, median of rounds; load average per run: "
             + ", ".join(f"{r['loadavg'][0]:.1f}" for r in runs) + ".", ""]
    for key, title, fmt in (("times", f"With the operator's own work{side}:", "{:.1f}"),
                            ("stubbed", f"Framework alone (the operator's `run` replaced by returning the sample: what the "
                             f"pipeline, the containers' decisions, streams, plan and records cost){side}:", "{:.2f}")):
        if not all(key in r for r in runs):
            continue
        lines += [title, "", "| pipeline | " + " | ".join(f"run {i} us" for i in range(1, len(runs) + 1))
                  + " | minus `op` (us) |", "|---|" + "---|" * len(runs) + "---|"]
        for name in runs[0][key]:
            meds = [statistics.median(r[key][name]) * 1e6 for r in runs]
            base_name = "op, op" if name.startswith("SomeOf") else "op"
            # paired within a round (adjacent windows), so a load swing between rounds or runs cancels
            extra = statistics.median([(a - b) * 1e6 for r in runs
                                       for a, b in zip(r[key][name], r[key][base_name], strict=True)])
            lines.append(f"| `{name}` | " + " | ".join(fmt.format(m) for m in meds) + " | " + ("{:+" + fmt[2:]).format(extra) + " |")
        lines.append("")
    lines += ["(`SomeOf(5 ops, n=2)` is set against `op, op`: the same two operator calls. Minus `op` is the median,",
              "over every round of every run, of the row's time minus the base row's in the same round.)", ""]
    return lines


def cmd_report(args):
    lines = ["# Composed pipelines: ours vs albumentations 2.0.8 and augrs 0.1.0 (#16)", "",
             "Generated by `python benchmarks/bench_compose.py all` (method in its docstring).", "",
             L.NOTES_START, "", "(notes)", "", L.NOTES_END, ""]
    for peer in ENVS:
        runs = _load(f"compose-{peer}-run*.json")
        if not runs:
            continue
        v = runs[0]["versions"]
        lines += [f"## vs {peer} ({', '.join(f'{k} {x}' for k, x in v.items())})", "",
                  f"Measured at {runs[0]['git']}; {len(runs)} runs x {runs[0]['rounds']} rounds.", "",
                  "| row | run | ours ms | " + peer + " ms | ratio (median of rounds; > 1: ours faster) | load avg |",
                  "|---|---|---|---|---|---|"]
        for i, r in enumerate(runs, 1):
            for row in r["rows"]:
                t = row["times"]
                ratios = [b / a for a, b in zip(t["ours"], t[peer], strict=True) if a == a and b == b]
                lines.append(f"| {row['row']} | {i} | {statistics.median(t['ours']) * 1e3:.2f} | "
                             f"{statistics.median(t[peer]) * 1e3:.2f} | {statistics.median(ratios):.2f} "
                             f"({min(ratios):.2f}-{max(ratios):.2f}) | {r['loadavg'][0]:.1f} |")
        lines.append("")
    before = _load("compose-overhead-before-run*.json")
    for label, runs in (("before", before), ("after" if before else None, _load("compose-overhead-run*.json"))):
        if runs:
            lines += _overhead_tables(runs, label)
    text = L.keep_notes("\n".join(lines) + "\n", REPORT)
    with open(REPORT, "w") as f:
        f.write(text)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["all", "run", "overhead", "overhead-ab", "report"])
    ap.add_argument("--against", metavar="REV", default="HEAD", help="overhead-ab: the commit to set the work tree against")
    ap.add_argument("--peer", choices=sorted(ENVS))
    ap.add_argument("--out")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--window", type=float, default=0.3)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    {"all": cmd_all, "run": cmd_run, "overhead": cmd_overhead, "overhead-ab": cmd_overhead_ab, "report": cmd_report}[args.mode](args)


if __name__ == "__main__":
    main()
