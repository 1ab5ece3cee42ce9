"""Where a run's bytes live: local paths, and URLs through fsspec (``s3://``, ``obs://``, ...).

Every read and write of the batch job goes through this module, so the other rooms (plan, work,
journal, summary) handle a location as an opaque string: a local path, or a URL.

* ``s3://bucket/key`` is S3 through s3fs; ``obs://bucket/key`` is Huawei OBS, which speaks the S3
  protocol: it is read and written through s3fs with the OBS endpoint, and named ``obs://`` in
  everything the run writes (``output.manifest``, ``summary.json``). Any other protocol fsspec knows
  (``gs://``, ``az://``, ``memory://``, ...) works when its package is installed.
* Endpoint: ``endpoint_url`` (``--endpoint-url``), else for ``obs://`` ``OBS_ENDPOINT`` or
  ``S3_ENDPOINT`` (the variable MoXing reads in ModelArts jobs); else fsspec's own configuration
  (``FSSPEC_S3_ENDPOINT_URL``, ``~/.config/fsspec/``) and botocore's (``AWS_ENDPOINT_URL``,
  ``~/.aws/config``). Credentials: botocore's chain (``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY``, ``~/.aws/credentials``, an instance role), plus for ``obs://``
  ``OBS_ACCESS_KEY_ID`` / ``OBS_SECRET_ACCESS_KEY`` (or ``ACCESS_KEY_ID`` / ``SECRET_ACCESS_KEY``)
  when set.
* Writes are atomic: an object store's PUT makes an object appear whole or not at all, so objects
  are written straight under their final name; on other fsspec file systems a temporary name is
  written and moved into place, as on a local disk (:func:`augment.imageio.atomic_write_bytes`).
* Reads of a group of units are fetched concurrently (:func:`prefetch`: one batched ``cat`` per
  group), so that a worker does not wait on one round trip per file.

Without fsspec (the ``cloud`` extra), a URL gets a :class:`StorageError` naming the extra.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from manifest.dataset import is_remote, resolve_loc

from ..errors import RunError, StorageError
from ..imageio import atomic_write_bytes, read_regular

__all__ = [
    "StorageError",
    "is_url",
    "unusable",
    "configure",
    "using",
    "options",
    "read",
    "prefetch",
    "write",
    "write_many",
    "exists",
    "join",
    "dirname",
    "basename",
    "resolve",
    "listing",
    "check_input",
    "check_output",
    "remove",
    "remove_many",
    "NamedBytes",
    "is_object_store",
    "describe_error",
    "CLOUD_EXTRA",
]

CLOUD_EXTRA = "augment-manifest[cloud]"
_OBJECT_STORES = {"s3", "s3a", "obs", "gs", "gcs", "az", "abfs", "abfss", "oss"}
_lock = threading.Lock()
_FS: dict[tuple, Any] = {}
_OPTIONS: dict[str, Any] = {"endpoint_url": None}


class _ThreadState(threading.local):
    """Per thread: what :func:`prefetch` fetched for this thread's reads (url -> (the byte limit it
    was fetched with, the bytes or the error)), and the endpoint a :func:`using` block set."""

    def __init__(self) -> None:
        self.prefetched: dict[str, tuple[int | None, bytes | BaseException]] = {}
        self.endpoint: str | None = None


_THREAD = _ThreadState()


class NamedBytes(io.BytesIO):
    """Bytes with a ``name``, so that a reader's errors name the file they came from."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def is_url(loc: object) -> bool:
    """True for ``scheme://...`` other than ``file://`` (read as the local path it names)."""
    return isinstance(loc, str) and is_remote(loc) and not loc.startswith("file://")


def protocol(url: str) -> str:
    return url[: url.find("://")].lower()


def is_object_store(url: str) -> bool:
    return is_url(url) and protocol(url) in _OBJECT_STORES


def configure(endpoint_url: str | None = None) -> None:
    """Set the process's storage options (the run's ``--endpoint-url``) and drop the filesystems made
    so far (the environment they were made from may have changed since)."""
    with _lock:
        _FS.clear()
        _OPTIONS["endpoint_url"] = endpoint_url


def options() -> dict[str, Any]:
    return dict(_OPTIONS)


def using(endpoint_url: str | None) -> contextlib.AbstractContextManager[None]:
    """Within the block, this thread's reads and writes (and :func:`write_many`'s, on its threads)
    go through ``endpoint_url`` (a dataset's own endpoint, whatever the process's
    :func:`configure` says); None: the process's setting (no state touched: a dataset reading
    local files enters this once per item)."""
    return _NO_ENDPOINT if endpoint_url is None else _using(endpoint_url)


_NO_ENDPOINT = contextlib.nullcontext()


@contextlib.contextmanager
def _using(endpoint_url: str) -> Iterator[None]:
    before = _THREAD.endpoint
    _THREAD.endpoint = endpoint_url
    try:
        yield
    finally:
        _THREAD.endpoint = before


def reset_after_fork() -> None:
    """A forked worker must not share its parent's connections (an asyncio loop, sockets)."""
    _FS.clear()
    _THREAD.prefetched.clear()
    _POOL.clear()  # its threads did not survive the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=reset_after_fork)


def _env(*names: str) -> str | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None


def _fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path inside it (cached per protocol)."""
    proto = protocol(url)
    chosen = _THREAD.endpoint or _OPTIONS.get("endpoint_url")
    key = (proto, chosen, os.getpid())
    fs = _FS.get(key)
    if fs is None:
        try:
            import fsspec
        except ImportError:
            raise StorageError(f"{url}: reading or writing URLs needs fsspec: pip install '{CLOUD_EXTRA}'") from None
        kw: dict[str, Any] = {}
        target = "s3" if proto in ("obs", "s3a") else proto
        endpoint = chosen
        if proto == "obs":
            endpoint = endpoint or _env("OBS_ENDPOINT", "S3_ENDPOINT")
            if not endpoint:
                raise StorageError(
                    f"{url}: obs:// needs the OBS endpoint of its region: give --endpoint-url "
                    "(endpoint_url= in Python) https://obs.<region>.myhuaweicloud.com, or set OBS_ENDPOINT"
                )
            if "://" not in endpoint:
                endpoint = "https://" + endpoint
            key_id = _env("OBS_ACCESS_KEY_ID", "ACCESS_KEY_ID")
            secret = _env("OBS_SECRET_ACCESS_KEY", "SECRET_ACCESS_KEY")
            if key_id and secret and not _env("AWS_ACCESS_KEY_ID"):
                kw.update(key=key_id, secret=secret)
                token = _env("OBS_SECURITY_TOKEN", "SECURITY_TOKEN")
                if token:
                    kw["token"] = token
        if target == "s3":
            if endpoint:
                kw["endpoint_url"] = endpoint
            # a server that does not answer fails the file in seconds, not after botocore's
            # default of minutes of retries; the run's re-run finishes what failed
            kw["config_kwargs"] = {
                "connect_timeout": 10,
                "read_timeout": 60,
                "retries": {"max_attempts": 3, "mode": "standard"},
            }
        try:
            fs = fsspec.filesystem(target, skip_instance_cache=True, **kw)
        except ImportError as exc:
            raise StorageError(
                f"{url}: the {proto}:// protocol needs a package that is not installed ({exc}); "
                f"for s3:// and obs://: pip install '{CLOUD_EXTRA}'"
            ) from None
        except ValueError as exc:
            raise StorageError(f"{url}: {exc}") from None
        with _lock:
            _FS[key] = fs
    return fs, _path_in(fs, url)


def unusable(url: str, seen: dict[str, str | None] | None = None) -> str | None:
    """Why ``url`` cannot be read in this process (fsspec or the protocol's package missing, an
    unknown protocol, ``obs://`` without an endpoint), without the URL itself, or None when its
    file system can be made (also for a local path). Nothing is sent to the server. ``seen``: the
    caller's answers by protocol, kept across many locations, so that each protocol is tried once."""
    if not is_url(url):
        return None
    if seen is not None:
        proto = protocol(url)
        if proto not in seen:
            seen[proto] = unusable(url)
        return seen[proto]
    try:
        _fs(url)
    except StorageError as exc:
        text = str(exc)
        return text[len(url) + 2 :] if text.startswith(url + ": ") else text
    return None


def _path_in(fs: Any, url: str) -> str:
    """The path of ``url`` inside ``fs``, as ``fs`` names its files (``find`` returns such names)."""
    rest = url[url.find("://") + 3 :]
    proto = protocol(url)
    target = "s3" if proto in ("obs", "s3a") else proto
    try:
        return str(fs._strip_protocol(f"{target}://{rest}"))
    except Exception:  # noqa: BLE001 - a file system without the usual helper
        return rest


def describe_error(exc: BaseException) -> str:
    """One line for an error of a storage call (botocore's, aiohttp's and fsspec's included)."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()
    head = text[0] if text else ""
    if name == "NoCredentialsError":
        return (
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or OBS_ACCESS_KEY_ID / "
            "OBS_SECRET_ACCESS_KEY for obs://), or configure ~/.aws/credentials"
        )
    if isinstance(exc, PermissionError):
        return f"access denied ({head})" if head else "access denied"
    if isinstance(exc, FileNotFoundError):
        return head if "bucket" in head.lower() else "no such object"
    if name in (
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ClientConnectorError",
        "ServerDisconnectedError",
        "ConnectionClosedError",
    ):
        return f"the storage server cannot be reached ({head})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{name}: {head}" if head else name


def _wrap(url: str, exc: BaseException, what: str = "") -> StorageError:
    if isinstance(exc, StorageError):
        return exc
    err = StorageError(f"{url}: {what}{describe_error(exc)}")
    if isinstance(exc, FileNotFoundError):
        err.errno = 2
    return err


# --------------------------------------------------------------------------- reading
def read(loc: str, max_bytes: int | None = None) -> bytes:
    """The bytes of ``loc`` (a local regular file, see :func:`augment.imageio.read_regular`, or a
    URL), at most ``max_bytes`` (a larger file is an error, read no further)."""
    if not is_url(loc):
        return read_regular(loc[7:] if loc.startswith("file://") else loc, max_bytes=max_bytes)
    entry = _THREAD.prefetched.pop(loc, None)
    if entry is not None and (entry[0] is None or (max_bytes is not None and entry[0] >= max_bytes)):
        got = entry[1]  # fetched with a limit at least as wide as this read's
        if isinstance(got, bytes) and max_bytes is not None and len(got) > max_bytes:
            got = _too_big(loc, len(got), max_bytes)
    else:
        got = _fetch([loc], max_bytes)[loc]
    if isinstance(got, BaseException):
        raise got
    return got


def _too_big(url: str, n: int, max_bytes: int) -> StorageError:
    return StorageError(
        f"{url}: {n:,} bytes exceeds the file size limit of {max_bytes:,} (raise --max-pixels, or 0 for no limit)"
    )


def _by_protocol(urls: Iterable[str]) -> list[list[str]]:
    """``urls`` in groups of one protocol (one file system, one batched call each), in order."""
    groups: dict[str, list[str]] = {}
    for u in urls:
        groups.setdefault(protocol(u), []).append(u)
    return list(groups.values())


def _fetch(urls: Sequence[str], max_bytes: int | None) -> dict[str, bytes | BaseException]:
    """Fetch ``urls`` concurrently (one ``cat`` per protocol); each value is the bytes or the error."""
    out: dict[str, bytes | BaseException] = {}
    for group in _by_protocol(urls):
        try:
            fs, _ = _fs(group[0])
        except StorageError as exc:
            out.update(dict.fromkeys(group, exc))
            continue
        paths = {_path_in(fs, u): u for u in group}
        kw: dict[str, Any] = {"on_error": "return"}
        if max_bytes is not None:
            kw.update(start=0, end=max_bytes + 1)
        try:
            got = fs.cat(list(paths), **kw)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed (no connection): each url fails
            out.update({u: _wrap(u, exc, "cannot read: ") for u in group})
            continue
        if not isinstance(got, dict):  # a single path gives its bytes
            got = {next(iter(paths)): got}
        for path, u in paths.items():
            v = got.get(path, FileNotFoundError(path))
            if isinstance(v, BaseException) and "range is not satisfiable" in str(v).lower():
                v = b""  # a ranged read of an empty object (S3 answers 416 for bytes=0-N of 0 bytes)
            if isinstance(v, BaseException):
                out[u] = _wrap(u, v, "cannot read: ")
            elif max_bytes is not None and len(v) > max_bytes:
                out[u] = _too_big(u, len(v), max_bytes)
            else:
                out[u] = bytes(v)
    return out


def prefetch(locs: Iterable[str | None], max_bytes: int | None = None) -> None:
    """Fetch the URLs among ``locs`` concurrently, for the :func:`read` calls that follow (a group's
    images and annotations); local paths are left to be read when asked for."""
    mine = _THREAD.prefetched
    urls = list(dict.fromkeys(loc for loc in locs if loc and is_url(loc) and loc not in mine))
    if urls:
        mine.update((u, (max_bytes, v)) for u, v in _fetch(urls, max_bytes).items())


def drop_prefetched() -> None:
    """Forget what this thread prefetched and did not read."""
    _THREAD.prefetched.clear()


def exists(loc: str) -> bool:
    if not is_url(loc):
        return os.path.exists(loc[7:] if loc.startswith("file://") else loc)
    fs, path = _fs(loc)
    try:
        return bool(fs.exists(path))
    except Exception as exc:  # noqa: BLE001
        raise _wrap(loc, exc) from None


def isfile(loc: str) -> bool:
    if not is_url(loc):
        return os.path.isfile(loc)
    fs, path = _fs(loc)
    try:
        return bool(fs.isfile(path))
    except Exception as exc:  # noqa: BLE001
        raise _wrap(loc, exc) from None


def listing(url: str) -> list[tuple[str, int]]:
    """Every object under the folder ``url``: (path relative to it, size), sorted."""
    fs, path = _fs(url)
    root = path.rstrip("/")
    try:
        found = fs.find(root, detail=True, withdirs=False)
    except Exception as exc:  # noqa: BLE001
        raise _wrap(url, exc, "cannot list: ") from None
    out = []
    for name, info in found.items():
        rel = name[len(root) :].lstrip("/") if name.startswith(root) else name
        if rel and not rel.endswith("/") and info.get("type", "file") == "file":
            out.append((rel, int(info.get("size") or 0)))
    return sorted(out)


# --------------------------------------------------------------------------- writing
def write(loc: str, data: bytes) -> None:
    """Write ``data`` to ``loc`` whole or not at all (see the module docstring). Local errors are
    the ``OSError`` the system gave; URL errors are :class:`StorageError`."""
    if not is_url(loc):
        atomic_write_bytes(loc, data, make_parents=False)
        return
    fs, path = _fs(loc)
    try:
        if is_object_store(loc):
            fs.pipe_file(path, data)
        else:
            parent, name = posixpath.split(path)
            tmp = posixpath.join(parent, f".{name}.{os.getpid()}.part")
            fs.pipe_file(tmp, data)
            fs.mv(tmp, path)
    except Exception as exc:  # noqa: BLE001
        raise _wrap(loc, exc, "cannot write: ") from None


_POOL: list[Any] = []  # one thread pool per process for concurrent writes (made when first needed)
WRITE_THREADS = 16


def write_many(items: Sequence[tuple[str, bytes]]) -> dict[str, BaseException | None]:
    """Write every ``(loc, data)``, each as :func:`write` does, URLs concurrently (a group's images
    and annotations go out together instead of one round trip after another); ``{loc: None or the
    error}``."""
    remote = [(loc, data) for loc, data in items if is_url(loc)]
    out: dict[str, BaseException | None] = {}
    for loc, data in items:
        if not is_url(loc):
            try:
                write(loc, data)
                out[loc] = None
            except OSError as exc:
                out[loc] = exc
    if len(remote) == 1:
        loc, data = remote[0]
        try:
            write(loc, data)
            out[loc] = None
        except StorageError as exc:
            out[loc] = exc
    elif remote:
        if not _POOL:
            from concurrent.futures import ThreadPoolExecutor

            _POOL.append(ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="augment-write"))
        endpoint = _THREAD.endpoint  # a using() block's, carried to the pool's threads
        futures = {loc: _POOL[0].submit(_write_through, endpoint, loc, data) for loc, data in remote}
        for loc, fut in futures.items():
            out[loc] = fut.exception()
    return out


def _write_through(endpoint: str | None, loc: str, data: bytes) -> None:
    with using(endpoint):
        write(loc, data)


def remove(loc: str) -> None:
    if not is_url(loc):
        try:
            os.unlink(loc)
        except FileNotFoundError:
            pass
        return
    fs, path = _fs(loc)
    try:
        fs.rm_file(path)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001
        raise _wrap(loc, exc, "cannot delete: ") from None


def remove_many(locs: Sequence[str]) -> None:
    """:func:`remove` of every location: local files one by one, objects in batched requests (S3's
    DeleteObjects takes up to 1,000 keys a request)."""
    urls = [loc for loc in locs if is_url(loc)]
    for loc in locs:
        if not is_url(loc):
            remove(loc)
    for group in _by_protocol(urls):
        fs, _ = _fs(group[0])
        try:
            fs.rm([_path_in(fs, u) for u in group])
        except FileNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001
            raise _wrap(group[0], exc, f"cannot delete ({len(group)} objects): ") from None


# --------------------------------------------------------------------------- names
def join(base: str, *parts: str) -> str:
    if is_url(base):
        return posixpath.join(base.rstrip("/") if base.count("/") > 2 else base, *parts)
    return os.path.join(base, *parts)


def dirname(loc: str) -> str:
    if is_url(loc):
        head = posixpath.dirname(loc.rstrip("/"))
        return head if head.count("/") >= 2 else loc
    return os.path.dirname(os.path.abspath(loc))


def basename(loc: str) -> str:
    return posixpath.basename(loc.rstrip("/")) if is_url(loc) else os.path.basename(loc)


def resolve(loc: str, anchor: str | None) -> str:
    """``loc`` from a manifest or VOC file at ``anchor``: a URL or absolute path as it is, a relative
    one against the anchor's folder (a URL's folder stays a URL: ``s3://b/sets/a.manifest`` +
    ``img/1.jpg`` = ``s3://b/sets/img/1.jpg``)."""
    if isinstance(anchor, str) and is_url(anchor) and not (os.path.isabs(loc) or is_remote(loc)):
        head = anchor[: anchor.find("://") + 3]
        folder = posixpath.dirname(anchor[len(head) :])
        return head + posixpath.normpath(posixpath.join(folder, loc))
    return resolve_loc(loc, anchor)  # local anchors (and none: the working folder) follow the manifest package


def inside(loc: str, folder: str) -> bool:
    """True when URL ``loc`` is ``folder`` or under it (string prefix on ``/`` boundaries)."""
    a, b = loc.rstrip("/"), folder.rstrip("/")
    return a == b or a.startswith(b + "/")


# --------------------------------------------------------------------------- checks before any work
def check_input(url: str) -> str:
    """``"file"`` or ``"folder"`` for an input URL, or a :class:`RunError` that says why it cannot
    be read (no credentials, no bucket, denied, unreachable), before any work starts."""
    try:
        fs, path = _fs(url)
        if fs.isfile(path):
            return "file"
        if fs.isdir(path):
            return "folder"
        fs.ls(path.split("/", 1)[0])  # is the bucket there, and may we list it?
    except StorageError as exc:
        raise RunError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001
        raise RunError(f"{url}: cannot read the input: {describe_error(exc)}") from None
    raise RunError(f"{url}: no such object or folder")


def check_output(url: str) -> None:
    """Write and delete a probe object under the output ``url``, or a :class:`RunError` saying why
    it cannot be written."""
    probe = join(url, ".augment", f".write-test.{os.getpid()}")
    try:
        fs, path = _fs(url)
        if fs.isfile(path.rstrip("/")):
            raise RunError(f"output {url} is an object, not a folder")
        write(probe, b"")
        remove(probe)
    except RunError:
        raise
    except StorageError as exc:
        raise RunError(f"cannot write the output {url}: {str(exc).split(': ', 1)[-1]}") from None
    except Exception as exc:  # noqa: BLE001
        raise RunError(f"cannot write the output {url}: {describe_error(exc)}") from None
