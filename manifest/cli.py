"""The ``manifest`` command: validate, stats, convert, split.

::

    manifest validate FILE... [--voc]        every problem as file:line:column; exit 1 if any
    manifest stats FILE [--voc]              samples per usage, annotation type and label
    manifest convert SRC DST [--layout L]    folder layout -> manifest, or manifest -> folder
                                             (--layout voc: the VOC directory MindSpore reads)
    manifest split FILE --train 0.8 [--test 0.1] --seed N [-o OUT]
                                             stratified by label; writes usage TRAIN/EVAL/TEST;
                                             copies of one original (augment run's
                                             property "augment:original") share a set

Exit status: 0 fine, 1 problems found, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .dataset import is_remote, to_voc_dir, voc_paths
from .errors import ManifestError
from .jsonl import iter_manifest, read_manifest, write_manifest
from .layouts import LAYOUTS, from_folder, to_folder
from .voc import read_voc


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int, left: bool) -> str:
    fill = " " * max(0, w - _width(s))
    return s + fill if left else fill + s


def _table(title: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(map(str, title))] + [[str(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(title))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(_pad(c, w, i == 0) for i, (c, w) in enumerate(zip(r, widths, strict=False))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------------- validate
_REMOTE_NOT_READ = (
    "{n} annotation file(s) in object storage not read (this command reads local files; "
    "`augment run` and augment.data read obs:// and s3://)"
)


def cmd_validate(args: argparse.Namespace) -> int:
    total = 0
    samples = 0
    remote = 0
    for f in args.files:
        reader = iter_manifest(f, strict=False)
        try:
            for s in reader:
                samples += 1
                if args.voc:
                    for loc in voc_paths(s, f):
                        if is_remote(loc):
                            remote += 1
                            continue
                        try:
                            read_voc(loc)
                        except ManifestError as exc:
                            print(f"{f}:{reader.lines}: annotation-loc: {exc}")
                            total += 1
        except ManifestError as exc:  # the file itself cannot be opened
            print(exc)
            total += 1
            continue
        for err in reader.errors:
            print(err)
        total += len(reader.errors)
    print(f"{len(args.files)} file(s), {samples} valid sample(s), {total} problem(s)", file=sys.stderr)
    if remote:
        print(_REMOTE_NOT_READ.format(n=remote), file=sys.stderr)
    return 1 if total else 0


# ---------------------------------------------------------------------- stats
def cmd_stats(args: argparse.Namespace) -> int:
    usage: Counter = Counter()
    types: Counter = Counter()
    labels: Counter = Counter()
    label_samples: Counter = Counter()
    objects: Counter = Counter()
    n = 0
    remote = 0
    reader = iter_manifest(args.file, strict=False)
    for s in reader:
        n += 1
        usage[s.usage or "(none)"] += 1
        if not s.annotations:
            types["(unlabeled)"] += 1
        for a in s.annotations:
            types[a.type or "(none)"] += 1
        labels.update(s.labels)
        label_samples.update(set(s.labels))
        if args.voc:
            for loc in voc_paths(s, args.file):
                if is_remote(loc):
                    remote += 1
                    continue
                try:
                    objects.update(o.name for o in read_voc(loc).objects)
                except ManifestError as exc:
                    print(f"warning: {exc}", file=sys.stderr)
    print(f"{args.file}: {n} sample(s), {len(reader.errors)} bad line(s) skipped\n")
    print(_table(("usage", "samples"), sorted(usage.items(), key=lambda kv: (-kv[1], kv[0]))))
    print()
    print(_table(("annotation type", "annotations"), sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))))
    if labels:
        print()
        rows = [(k, v, label_samples[k]) for k, v in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))]
        print(_table(("label", "annotations", "samples"), rows))
    if objects:
        print()
        print(_table(("VOC object", "objects"), sorted(objects.items(), key=lambda kv: (-kv[1], kv[0]))))
    for err in reader.errors:
        print(f"warning: {err}", file=sys.stderr)
    if remote:
        print("warning: " + _REMOTE_NOT_READ.format(n=remote) + "; their objects are not counted", file=sys.stderr)
    return 1 if reader.errors else 0


# ---------------------------------------------------------------------- convert
def cmd_convert(args: argparse.Namespace) -> int:
    src, dst = Path(args.src), Path(args.dst)
    if args.layout == "voc":
        return _convert_voc(src, dst, args.copy)
    if src.is_dir():
        rel = dst.resolve().parent if args.relative else None
        m = from_folder(src, args.layout, usage=args.usage, relative_to=rel)
        n = write_manifest(m.samples, dst)
        for err in m.errors:
            print(err)
        print(f"{dst}: {n} sample(s), {len(m.errors)} problem(s)", file=sys.stderr)
        return 1 if m.errors else 0
    m = read_manifest(src, strict=False)
    layout = args.layout
    if layout == "auto":
        layout = "detection" if any(s.annotation_locs for s in m) else "classification"
    problems = to_folder(m, dst, layout, label_files=args.label_files)
    for err in list(m.errors) + problems:
        print(err)
    bad = len(m.errors) + len(problems)
    lost = sum(1 for p in problems if not getattr(p, "copied", False))  # a problem may still copy its sample
    print(f"{dst}: {len(m) - lost} sample(s) written, {bad} problem(s)", file=sys.stderr)
    return 1 if bad else 0


def _convert_voc(src: Path, dst: Path, copy: bool) -> int:
    if src.is_dir():
        print("manifest convert: --layout voc is written from a manifest (a detection folder "
              "is turned into one first: manifest convert FOLDER x.manifest)", file=sys.stderr)
        return 2
    m = read_manifest(src, strict=False)
    res = to_voc_dir(m, dst, manifest_path=src, copy=copy)
    for err in list(m.errors) + res.problems:
        print(err)
    sets = ", ".join(f"{k} {len(v)}" for k, v in res.sets.items() if k != "all")
    bad = len(m.errors) + len(res.problems)
    print(f"{dst}: {len(res.ids)} image(s) ({sets or 'no usage'}), {bad} problem(s)", file=sys.stderr)
    return 1 if bad else 0


# ---------------------------------------------------------------------- split
ORIGINAL_KEY = "augment:original"
COPY_KEY = "augment:copy"


def original_of(sample: Any) -> str | None:
    """The input an augmented sample was made from (``property["augment:original"]``), if any."""
    p = sample.property
    if isinstance(p, dict):
        o = p.get(ORIGINAL_KEY)
        if isinstance(o, str):
            return o
    return None


def _groups(samples: list) -> list[list[int]]:
    """Sample indices grouped by original, in order of first appearance; others alone."""
    groups: list[list[int]] = []
    by_original: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        o = original_of(s)
        if o is None:
            groups.append([i])
        elif o in by_original:
            by_original[o].append(i)
        else:
            by_original[o] = g = [i]
            groups.append(g)
    return groups


def _group_labels(samples: list, group: list[int]) -> tuple:
    """The original's labels: those of its unaugmented copy (``augment:copy`` -1) when the
    group has one, else every label its copies carry (a copy may have lost a box)."""
    for i in group:
        p = samples[i].property
        if len(group) > 1 and isinstance(p, dict) and p.get(COPY_KEY) == -1:
            return tuple(sorted(set(samples[i].labels)))
    return tuple(sorted({n for i in group for n in samples[i].labels}))


def split_usage(samples: list, train: float, test: float, seed: int | None) -> list:
    """Set ``usage`` TRAIN / EVAL / TEST, stratified by each sample's set of labels.

    Samples that record the same original (``property["augment:original"]``, as ``augment
    run`` writes) form one group and always land in the same set: augmented copies of one
    image in TRAIN and EVAL would leak. A group is stratified by its original's labels and
    counts as many samples as it holds; it goes to the set its middle sample falls in, so
    the ratios stay close to the ones asked. Without groups the split is the same as before
    (same seed, same sets).
    """
    rng = random.Random(seed)
    strata: dict[tuple, list[list[int]]] = defaultdict(list)
    for g in _groups(samples):
        strata[_group_labels(samples, g)].append(g)
    for key in sorted(strata):
        groups = strata[key]
        rng.shuffle(groups)
        n = sum(len(g) for g in groups)
        n_train = round(n * train)
        n_test = min(n - n_train, round(n * test))
        start = 0
        for g in groups:
            mid = start + len(g) / 2  # a lone sample k: k + 0.5, the rule before groups
            usage = "TRAIN" if mid < n_train else ("TEST" if mid < n_train + n_test else "EVAL")
            for i in g:
                samples[i].usage = usage
            start += len(g)
    return samples


def cmd_split(args: argparse.Namespace) -> int:
    if not 0.0 <= args.train <= 1.0 or not 0.0 <= args.test <= 1.0 or args.train + args.test > 1.0 + 1e-9:
        print("manifest split: --train and --test must be in [0, 1] with a sum <= 1", file=sys.stderr)
        return 2
    m = read_manifest(args.file, strict=not args.lenient)
    split_usage(m.samples, args.train, args.test, args.seed)
    out = args.output
    if out == "-":
        write_manifest(m.samples, sys.stdout)
    else:
        write_manifest(m.samples, out)
    counts = Counter(s.usage for s in m)
    summary = ", ".join(f"{k} {counts[k]}" for k in ("TRAIN", "EVAL", "TEST") if counts[k])
    originals = len({o for o in map(original_of, m) if o is not None})
    grouped = f" ({originals} original(s) kept whole)" if originals else ""
    print(f"{len(m)} sample(s): {summary}{grouped}", file=sys.stderr)
    for err in m.errors:
        print(f"warning: {err}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="manifest", description="ModelArts manifests and PASCAL VOC files.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check manifests; every problem with file:line")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--voc", action="store_true", help="also read the local VOC files of detection samples")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("stats", help="samples per usage, annotation type and label")
    s.add_argument("file", metavar="FILE")
    s.add_argument("--voc", action="store_true", help="also count object names in local VOC files")
    s.set_defaults(func=cmd_stats)

    c = sub.add_parser("convert", help="folder layout -> manifest, or manifest -> folder layout")
    c.add_argument("src", metavar="SRC", help="a folder (to make a manifest) or a manifest (to make a folder)")
    c.add_argument("dst", metavar="DST")
    c.add_argument("--layout", choices=(*LAYOUTS, "voc"), default="auto",
                   help="voc (manifest -> folder): Annotations/, JPEGImages/ and ImageSets/Main/<usage>.txt "
                        "as MindSpore's VOCDataset reads them, of links to the files")
    c.add_argument("--usage", help="usage to write on every sample (folder -> manifest)")
    c.add_argument("--relative", action="store_true", help="write ./-relative paths (folder -> manifest)")
    c.add_argument("--label-files", action="store_true",
                   help="classification as image + .txt pairs instead of label folders")
    c.add_argument("--copy", action="store_true", help="--layout voc: copy the files instead of linking them")
    c.set_defaults(func=cmd_convert)

    sp = sub.add_parser("split", help="stratified TRAIN/EVAL(/TEST) split, written as usage; "
                        "augmented copies of one original stay in one set")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--train", type=float, required=True, help="fraction for TRAIN, e.g. 0.8")
    sp.add_argument("--test", type=float, default=0.0, help="fraction for TEST (default 0); the rest is EVAL")
    sp.add_argument("--seed", type=int, default=None)
    sp.add_argument("-o", "--output", default="-", help="output manifest (default: stdout)")
    sp.add_argument("--lenient", action="store_true", help="skip bad lines instead of stopping")
    sp.set_defaults(func=cmd_split)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ManifestError as exc:
        print(f"manifest {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
