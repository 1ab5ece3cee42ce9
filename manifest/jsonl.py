"""Reading and writing manifest files (JSON Lines), streaming, with line-numbered errors.

* :func:`iter_manifest` streams :class:`~manifest.model.Sample` objects one line at a time
  (constant memory whatever the file size); :func:`read_manifest` collects them into a
  :class:`~manifest.dataset.Manifest`.
* Input: a path, or a binary or text file object. UTF-8 with or without BOM, LF or CRLF line
  ends; whitespace-only lines are skipped (Huawei's SDK aborts on them).
* ``strict=True`` (the default) raises :class:`~manifest.errors.ManifestLineError` at the first
  bad line, naming the file, line, column and what is wrong. ``strict=False`` skips the bad
  line, records the same error in ``.errors`` (and logs a warning) and goes on.
* ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259 has no such values), though
  Python's ``json`` reads them; nor is a number too large for a double (``1e999``), which
  MindSpore's parser refuses. A line holding one is a bad line like any other (strict: the error;
  lenient: skipped and recorded).
* :func:`write_manifest` writes one compact JSON object per line (``separators=(",", ":")``,
  non-ASCII unescaped, ``\\n`` after every line, hyphenated keys), atomically when given a path.
  It never writes ``NaN`` or ``Infinity``: a sample holding a non-finite float raises
  :class:`~manifest.errors.ManifestError` naming the sample and the field.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import math
import os
import secrets
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Self

from .dataset import Manifest
from .errors import ManifestError, ManifestLineError
from .lineparse import _FieldError, parse_sample
from .model import Sample

__all__ = ["iter_manifest", "read_manifest", "write_manifest", "ManifestReader"]

log = logging.getLogger(__name__)

class _NotJson(ValueError):
    """Internal: a ``NaN`` / ``Infinity`` token or a number that overflows a double."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(reason)
        self.token = token
        self.reason = reason


def _refuse_constant(token: str) -> Any:
    raise _NotJson(token, f"{token} is not JSON (NaN and Infinity are not valid JSON numbers)")


def _finite_float(
    text: str, _float: Callable[[str], float] = float, _isfinite: Callable[[float], bool] = math.isfinite
) -> float:
    # called by the C scanner for every literal with a fraction or exponent (~0.4 us each)
    v = _float(text)
    if _isfinite(v):
        return v
    raise _NotJson(text, f"number {text} is out of range for a double")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
_loads = _DECODER.decode
_JSONDecodeError = json.JSONDecodeError
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__; typeshed omits it
_ENCODE = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False
).encode


def _token_column(text: str, token: str) -> int:
    """1-based column of the first ``token`` outside a JSON string (1 if not found)."""
    in_str = False
    i, n = 0, len(text)
    first = token[0]
    while i < n:
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == first and text.startswith(token, i):
            return i + 1
        i += 1
    return 1


def _name_of(src: Any) -> str | None:
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    name = getattr(src, "name", None)
    return name if isinstance(name, str) else None


def _key_column(text: str, key: str | None) -> int | None:
    if key is None:
        return 1
    i = text.find(f'"{key}"')
    return i + 1 if i >= 0 else 1


class ManifestReader:
    """An iterator over the samples of one manifest; ``errors`` collects lenient-mode errors.

    Use as ``for sample in iter_manifest(path): ...``; the file is closed when the iteration
    ends, or by ``close()`` / a ``with`` block. ``lines`` is the number of lines read so far,
    ``skipped_blank`` the whitespace-only lines among them.
    """

    def __init__(self, source: Any, *, strict: bool = True, errors: list | None = None) -> None:
        self.path = _name_of(source)
        self.strict = strict
        self.errors: list[ManifestLineError] = [] if errors is None else errors
        self.lines = 0
        self.skipped_blank = 0
        self._source = source
        self._file: Any = None
        self._own = False
        self._it: Generator[Sample, None, None] | None = None
        self._pending: Any = None

    # iteration ------------------------------------------------------------------
    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Sample:
        if self._it is None:
            self._it = self._run()
        return next(self._it)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._it is not None:
            self._it.close()
        if self._own and self._file is not None:
            self._file.close()
            self._file = None

    # ------------------------------------------------------------------------------
    def _open(self) -> Any:
        src = self._source
        if isinstance(src, (str, os.PathLike)):
            try:
                f = open(src, "rb", buffering=1 << 20)  # noqa: SIM115 -- the reader owns it until close()
            except OSError as exc:
                raise ManifestLineError(f"cannot open: {exc.strerror or exc}", self.path) from None
            self._own = True
            return f
        if not hasattr(src, "read"):
            raise TypeError(
                f"iter_manifest: expected a path or a file object, got {type(src).__name__}"
            )
        return src

    def _fail(self, err: ManifestLineError) -> None:
        if self.strict:
            raise err
        log.warning("skipped: %s", err)
        self.errors.append(err)

    def _bad_json(self, text: str, n: int) -> bool:
        """The slow path for a line the fast scanner refused: blank (True) or an error."""
        text = text.rstrip("\r\n")
        try:
            obj = _loads(text)
        except _NotJson as exc:
            self._fail(ManifestLineError(
                f"invalid JSON: {exc.reason}", self.path, n, _token_column(text, exc.token)))
            return True
        except _JSONDecodeError as exc:
            if not text.strip():
                self.skipped_blank += 1
                return True
            self._fail(ManifestLineError(f"invalid JSON: {exc.msg}", self.path, n, exc.colno))
            return True
        except RecursionError:
            self._fail(ManifestLineError("invalid JSON: nested too deeply", self.path, n, 1))
            return True
        self._pending = obj
        return False

    def _run(self) -> Generator[Sample, None, None]:
        f = self._file = self._open()
        scan = _SCAN
        parse = parse_sample
        n = 0
        try:
            for line in f:
                n += 1
                self.lines = n
                if type(line) is bytes:
                    try:
                        text = line.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        self._fail(
                            ManifestLineError(
                                f"invalid UTF-8 (byte {exc.start + 1} of the line)",
                                self.path, n, exc.start + 1,
                            )
                        )
                        continue
                else:
                    text = line
                if n == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                # fast path: the C scanner directly (json.loads adds Python-level overhead);
                # anything unusual goes through json.loads for the exact error message
                try:
                    obj, end = scan(text, 0)
                    if end != len(text) and text[end:].strip():
                        raise ValueError
                except (StopIteration, ValueError, RecursionError):
                    if self._bad_json(text, n):
                        continue
                    obj = self._pending
                    self._pending = None
                try:
                    sample = parse(obj)
                except _FieldError as exc:
                    self._fail(
                        ManifestLineError(exc.message, self.path, n, _key_column(text, exc.key))
                    )
                    continue
                except RecursionError:
                    self._fail(ManifestLineError("value nested too deeply", self.path, n, 1))
                    continue
                yield sample
        finally:
            self.lines = n
            if self._own and self._file is not None:
                self._file.close()
                self._file = None
            if self.errors and not self.strict:
                log.warning("%s: %d bad line(s) skipped", self.path or "<stream>", len(self.errors))


def iter_manifest(
    path_or_file: Any, strict: bool = True, *, errors: list | None = None
) -> ManifestReader:
    """Stream the samples of a manifest, one line at a time.

    ``strict=False`` skips bad lines and appends their :class:`ManifestLineError` to
    ``reader.errors`` (or to the ``errors`` list given). Memory does not grow with the file.
    """
    return ManifestReader(path_or_file, strict=strict, errors=errors)


def read_manifest(path_or_file: Any, strict: bool = True) -> Manifest:
    """Read a whole manifest into a :class:`Manifest` (``.samples``, ``.errors``, ``.path``)."""
    reader = ManifestReader(path_or_file, strict=strict)
    # Millions of new container objects would trigger the cyclic GC over and over (its cost
    # grows with the heap); samples hold no cycles, so it is paused while they are built.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        samples = list(reader)
    finally:
        if was_enabled:
            gc.enable()
    return Manifest(samples, path=reader.path, errors=reader.errors)


def _nonfinite_path(value: Any, where: str = "") -> str | None:
    """Where in a JSON value a NaN / infinite float sits (``annotation[0].confidence``)."""
    if isinstance(value, float):
        return None if math.isfinite(value) else where
    if isinstance(value, dict):
        for k, v in value.items():
            got = _nonfinite_path(v, f"{where}.{k}" if where else str(k))
            if got is not None:
                return got
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            got = _nonfinite_path(v, f"{where}[{i}]")
            if got is not None:
                return got
    return None


def _refuse_nonfinite(obj: dict, n: int, path: str | None) -> ManifestError:
    field_path = _nonfinite_path(obj) or "?"
    v: Any = obj
    for part in field_path.replace("[", ".[").split("."):
        if not part:
            continue
        try:
            v = v[int(part[1:-1])] if part.startswith("[") else v[part]
        except (KeyError, IndexError, TypeError, ValueError):
            v = None
            break
    src = obj.get("source") if isinstance(obj, dict) else None
    return ManifestError(
        f"sample {n} (source {src!r}): {field_path!r} is {v!r}; NaN and Infinity are not JSON, "
        "so the manifest cannot hold them (set the field to a finite number or None)",
        path, n,
    )


def _lines(samples: Iterable[Any], path: str | None = None) -> Iterator[str]:
    enc = _ENCODE
    for n, s in enumerate(samples, 1):
        if isinstance(s, Sample):
            obj = s.to_dict()
        elif isinstance(s, dict):
            obj = s
        else:
            raise TypeError(f"write_manifest: expected Sample or dict, got {type(s).__name__}")
        try:
            yield enc(obj) + "\n"
        except ValueError as exc:
            if "JSON compliant" not in str(exc):
                raise
            raise _refuse_nonfinite(obj, n, path) from None


def _new_temporary(target: Path) -> tuple[int, str]:
    """A new temporary file beside ``target``, created with mode 0o666 so that the kernel applies
    the process's umask (the permissions a plain ``open`` gives), without reading the umask: setting
    it to read it is process-wide and races with other threads."""
    folder = os.fspath(target.parent) or "."
    for _ in range(100):
        tmp = os.path.join(folder, f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: no free temporary name for {target.name}")


def write_manifest(samples: Iterable[Any], path_or_file: Any) -> int:
    """Write samples (``Sample`` objects or plain dicts) one compact JSON object per line.

    A path is written atomically (a temporary file in the same folder, then renamed), so a
    manifest can be rewritten in place. A file object may be text or binary. Returns the
    number of lines written.
    """
    if isinstance(samples, Manifest):
        samples = samples.samples
    n = 0
    if isinstance(path_or_file, (str, os.PathLike)):
        target = Path(path_or_file)
        fd, tmp = _new_temporary(target)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                n = _write_text(samples, f, os.fspath(path_or_file))
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return n
    if not hasattr(path_or_file, "write"):
        raise TypeError(
            f"write_manifest: expected a path or a file object, got {type(path_or_file).__name__}"
        )
    if isinstance(path_or_file, io.TextIOBase) or hasattr(path_or_file, "encoding"):
        return _write_text(samples, path_or_file, _name_of(path_or_file))
    buf: list[str] = []
    for line in _lines(samples, _name_of(path_or_file)):
        buf.append(line)
        n += 1
        if len(buf) >= 4096:
            path_or_file.write("".join(buf).encode("utf-8"))
            buf.clear()
    if buf:
        path_or_file.write("".join(buf).encode("utf-8"))
    return n


def _write_text(samples: Iterable[Any], f: IO[str], name: str | None = None) -> int:
    n = 0
    buf: list[str] = []
    for line in _lines(samples, name):
        buf.append(line)
        n += 1
        if len(buf) >= 4096:
            f.write("".join(buf))
            buf.clear()
    if buf:
        f.write("".join(buf))
    return n
