"""The ``augment`` command.

``augment run INPUT -o OUTPUT --ops PIPELINE.json``   augment a folder or manifest (see augment.batch)
``augment preview INPUT --ops PIPELINE.json -o sheet.png``   look at a pipeline before a long run
``augment ops``          every operator with its parameters and defaults
``augment example DIR``  write a small detection and classification dataset to try the job on
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .core.pipeline import Pipeline
from .errors import AugmentError, ConfigError
from .imageio import DEFAULT_MAX_PIXELS


def cmd_ops(args: argparse.Namespace) -> int:
    from .core.registry import describe_operators

    print(describe_operators())
    return 0


def parse_op(text: str) -> dict:
    """``'Rotate(angle_min=-30, angle_max=30)'`` (or ``'Flip'``) -> an operator config dict."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ConfigError(f"--op {text!r}: expected Name(param=value, ...)") from None
    if isinstance(node, ast.Name):
        return {"name": node.id}
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.args:
        raise ConfigError(f"--op {text!r}: expected Name(param=value, ...) with keyword arguments only")
    config: dict[str, Any] = {"name": node.func.id}
    for kw in node.keywords:
        if kw.arg is None:
            raise ConfigError(f"--op {text!r}: expected Name(param=value, ...), not **")
        if kw.arg == "name":
            raise ConfigError(f"--op {text!r}: 'name' is not a parameter (the operator is {node.func.id})")
        if kw.arg in config:
            raise ConfigError(f"--op {text!r}: {kw.arg!r} given twice")
        try:
            config[kw.arg] = ast.literal_eval(kw.value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            raise ConfigError(f"--op {text!r}: the value of {kw.arg!r} must be a literal") from None
    return config


def _read_json_config(path: str) -> Any:
    try:
        from .batch import storage

        if storage.is_url(path):  # s3://, obs://, ...: read as the run reads its inputs
            text = storage.read(path, 64 << 20).decode("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--ops {path}: {getattr(exc, 'strerror', None) or exc}") from None

    def no_constant(name: str) -> Any:
        raise ConfigError(f"--ops {path}: {name} is not JSON")

    try:
        return json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--ops {path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise ConfigError(f"--ops {path}: nested too deeply to be a pipeline") from None


def load_pipeline(args: argparse.Namespace) -> Pipeline:
    """The pipeline from --ops FILE and/or repeated --op, with --seed and --box-policy applied.
    The file is read by the API's rules: a list of operators, or ``{"ops", "seed", "box_policy"}``
    and no other key."""
    ops: list = []
    seed = box_policy = None
    if args.ops:
        cfg = _read_json_config(args.ops)
        if isinstance(cfg, dict) and "name" in cfg and "ops" not in cfg:
            cfg = [cfg]  # a file with one operator
        try:
            base = Pipeline.from_config(cfg)
        except ConfigError as exc:
            raise ConfigError(f"--ops {args.ops}: {exc}") from None
        except RecursionError:
            raise ConfigError(f"--ops {args.ops}: nested too deeply to be a pipeline") from None
        seed = base.seed
        box_policy = base.box_policy.to_config() if base.box_policy is not None else None
        ops.extend(op.to_dict() for op in base.ops)
    ops.extend(parse_op(t) for t in args.op or [])
    if not ops:
        raise ConfigError("no operators: give --ops PIPELINE.json or --op 'Name(param=value, ...)'")
    if args.seed is not None:
        seed = args.seed
    if getattr(args, "box_policy", None):
        box_policy = args.box_policy
    return Pipeline.from_config({"ops": ops, "seed": seed, "box_policy": box_policy})


def cmd_run(args: argparse.Namespace) -> int:
    from .batch import FatalRunError, Interrupted, RunSpec, format_summary, parse_split, run, storage

    storage.configure(args.endpoint_url)
    pipeline = load_pipeline(args)
    spec = RunSpec(
        input=args.input,
        output=args.output,
        pipeline=pipeline.to_config(),
        layout=args.layout,
        copies=args.copies,
        include_originals=args.include_originals,
        quality=args.quality,
        source_prefix=args.source_prefix,
        validate=not args.no_validation,
        max_pixels=args.max_pixels or None,
        other_shapes=args.other_shapes,
        usage=None if args.usage is None else ("inherit" if args.usage == "INHERIT" else args.usage),
        split=None if args.split is None else parse_split(args.split),
        base=args.base,
        exif_boxes=args.exif_boxes,
        empty=args.empty,
        endpoint_url=args.endpoint_url,
    )
    try:
        summary = run(spec, workers=args.workers, progress=not args.quiet, owns_process=args.owns_process,
                      engine=args.engine, address=args.address)
    except Interrupted as exc:
        print(f"augment run: {exc}", file=sys.stderr)
        return 130
    except FatalRunError as exc:
        if exc.summary is not None and not args.quiet:
            print(format_summary(exc.summary), file=sys.stderr)
        print(f"augment run: error: {exc}", file=sys.stderr)
        return 5
    if not args.quiet:
        print(format_summary(summary), file=sys.stderr)
    else:
        for w in summary.get("warnings", []):
            print(f"augment run: WARNING: {w}", file=sys.stderr)
    code = summary["exit_code"]
    if code == 4:
        print("augment run: no image was written (see summary.json for every input's reason)", file=sys.stderr)
    elif code == 3:
        print(f"augment run: {summary['counts']['failed']} image(s) failed (see summary.json)", file=sys.stderr)
    return code


def cmd_example(args: argparse.Namespace) -> int:
    from .examples import write_example

    paths = write_example(args.folder, count=args.count)
    for kind, path in paths.items():
        print(f"{kind}: {path}", file=sys.stderr)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from .batch import storage
    from .preview import preview

    storage.configure(args.endpoint_url)
    pipeline = load_pipeline(args)
    n = preview(args.input, pipeline, args.output, count=args.count, copies=args.copies, layout=args.layout)
    print(f"augment preview: {n} inputs with {args.copies} augmented copies each -> {args.output}", file=sys.stderr)
    return 0


def _endpoint_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint-url", metavar="URL", help="the object store's endpoint for s3:// and obs:// "
                   "(default: AWS_ENDPOINT_URL / fsspec's settings; for obs://, OBS_ENDPOINT or S3_ENDPOINT)")


def _int_in(lo: int, hi: int | None, what: str) -> Any:
    """An argparse type: a whole number from ``lo`` to ``hi`` (``None``: no upper bound)."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < lo or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(
                f"{what} must be from {lo} to {hi} (got {v})" if hi is not None else f"{what} must be >= {lo} (got {v})"
            )
        return v

    return parse


def _pipeline_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ops", metavar="PIPELINE.json",
                   help="pipeline config: a list of operators or {ops, seed, box_policy}")
    p.add_argument("--op", action="append", metavar="'Name(k=v, ...)'", help="an operator (repeatable; after --ops)")
    p.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"),
                   help="seed (default: the config's, else drawn and recorded)")
    p.add_argument("--box-policy", choices=["clip", "drop_box", "drop_image"], help="pipeline-level box policy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="augment", description="ModelArts-compatible image augmentation.")
    parser.add_argument("--version", action="version", version=f"augment {__version__}")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("ops", help="list every operator with its parameters and defaults")
    p.set_defaults(func=cmd_ops)
    p = sub.add_parser("run", help="augment a folder or a manifest into OUTPUT (Data/, output.manifest)")
    p.add_argument("input", help="classification folder, detection folder (images + VOC .xml) or manifest; "
                   "a local path or a URL (s3://, obs://, any fsspec protocol)")
    p.add_argument("-o", "--output", required=True,
                   help="output folder, local or a URL (must not be inside the input)")
    _pipeline_args(p)
    p.add_argument("--layout", default="auto", choices=["auto", "classification", "detection", "manifest"])
    p.add_argument("--copies", type=_int_in(0, 100_000, "--copies"), default=1,
                   help="augmented copies per input (default 1)")
    p.add_argument("--include-originals", action="store_true", help="also copy the inputs into the output")
    p.add_argument("--workers", type=_int_in(1, 1024, "--workers"), default=1,
                   help="processes, or Ray tasks at a time with --engine ray (default 1); same output for any count")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="where the work runs: this machine (default) or a Ray cluster (the 'ray' extra)")
    p.add_argument("--address", metavar="ADDR", help="the Ray cluster (ray://host:10001 or host:6379; default: "
                   "the RAY_ADDRESS variable, else a local cluster for this run)")
    _endpoint_arg(p)
    p.add_argument("--quality", type=_int_in(1, 100, "--quality"), default=95, help="JPEG quality, 1-100 (default 95)")
    p.add_argument("--usage", type=str.upper, choices=["TRAIN", "EVAL", "TEST", "INFERENCE", "INHERIT"],
                   help="usage of every output line (default: TRAIN for a folder, the input's own for a manifest)")
    p.add_argument("--split", metavar="train=0.8,eval=0.2",
                   help="assign usage per original input (all its copies share a set), stratified by label")
    p.add_argument("--base", metavar="DIR", help="resolve a manifest's relative paths against DIR "
                   "(default: the manifest's folder, ModelArts' rule; --base . for manifests written relative to "
                   "the current folder, as MindSpore reads them)")
    p.add_argument("--source-prefix", metavar="s3://bucket/path/", help="where OUTPUT will be uploaded: "
                   "written into output.manifest instead of relative paths (ModelArts writes OBS objects as s3://; "
                   "obs:// is written as given)")
    p.add_argument("--no-validation", action="store_true", help="skip the checks of boxes and annotations")
    p.add_argument("--max-pixels", type=_int_in(0, None, "--max-pixels"), default=DEFAULT_MAX_PIXELS,
                   help="refuse larger images (0: no limit)")
    p.add_argument("--other-shapes", default="move", choices=["move", "bbox", "error"],
                   help="VOC objects that are not boxes (polygons, lines, points, circles): move them with the "
                   "image (default), write their bounding box, or fail the file")
    p.add_argument("--empty", default="drop", choices=["drop", "keep"],
                   help="a detection copy left with no object: drop it (default, reported) or write it")
    p.add_argument("--exif-boxes", default="auto", choices=["auto", "upright", "stored"],
                   help="which view a VOC file of an EXIF-rotated image was drawn on (auto: its size decides, "
                   "else the upright view, noted in the summary)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary table")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("preview", help="a contact sheet of a few inputs and their augmented copies")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    _pipeline_args(p)
    p.add_argument("--layout", default="auto", choices=["auto", "classification", "detection", "manifest"])
    _endpoint_arg(p)
    p.add_argument("--count", type=_int_in(1, 64, "--count"), default=4, help="inputs to show, 1-64 (default 4)")
    p.add_argument("--copies", type=_int_in(1, 16, "--copies"), default=3,
                   help="augmented copies per input, 1-16 (default 3)")
    p.set_defaults(func=cmd_preview)
    p = sub.add_parser("example", help="write a small example dataset (detection and classification)")
    p.add_argument("folder")
    p.add_argument("--count", type=_int_in(1, 10_000, "--count"), default=6)
    p.set_defaults(func=cmd_example)
    return parser


def main(argv: Sequence[str] | None = None, *, owns_process: bool = False) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    ``owns_process``: this process exists only for the command (the ``augment`` executable,
    ``python -m augment``), so ``augment run`` may tune it and fork its workers from it.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.owns_process = owns_process
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="augment: %(levelname)s: %(message)s")
    try:
        return args.func(args)
    except AugmentError as exc:
        print(f"augment: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output or input the job could not touch at all
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"augment: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print("augment: error: out of memory", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("augment: interrupted", file=sys.stderr)
        return 130


def entry() -> int:
    """The ``augment`` executable's command (see :mod:`augment.launch`, which sets the process up
    before this module and numpy are imported)."""
    return main(owns_process=True)


if __name__ == "__main__":
    sys.exit(entry())
