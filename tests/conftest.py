"""Shared fixtures: small deterministic images and boxes, generated here (no files needed)."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

# Tests fork worker processes (process pools, DataLoader workers). Forking a process whose OpenCV
# thread pool has run can hang the child (see augment.data's docstring; seen once in this suite),
# so the test process follows the advice given there and never starts that pool.
cv2.setNumThreads(1)


@pytest.fixture(autouse=True)
def _storage_options_reset():
    """``augment run --endpoint-url`` and storage.configure set the process's storage options;
    each test starts from none, whatever ran before it."""
    from augment.batch import storage

    if storage.options().get("endpoint_url") is not None:
        storage.configure(None)
    yield


def make_image(h: int = 67, w: int = 91, c: int | None = 3, dtype=np.uint8, seed: int = 0) -> np.ndarray:
    """A photo-like test image: gradients, a sinusoid, a hard-edged block, mild noise."""
    g = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for k in range(c or 1):
        v = 0.5 + 0.25 * np.sin(xx / (5 + 2 * k)) * np.cos(yy / (7 + k)) + 0.2 * (xx / w - yy / h)
        chans.append(v)
    img = np.stack(chans, -1)
    img[h // 4 : h // 2, w // 3 : w // 2] = 0.9
    img = np.clip(img + g.normal(0, 0.02, img.shape), 0, 1)
    if dtype == np.uint8:
        out = (img * 255).round().astype(np.uint8)
    elif dtype == np.uint16:
        out = (img * 65535).round().astype(np.uint16)
    else:
        out = img.astype(dtype)
    return out if c is not None else out[..., 0]


@pytest.fixture
def rgb() -> np.ndarray:
    return make_image()


@pytest.fixture
def boxes() -> np.ndarray:
    # inside; near the right/bottom edge; touching the top-left corner
    return np.array([[20, 10, 50, 40], [70, 45, 90, 66], [0, 0, 15, 12]], np.float32)


# --------------------------------------------------------------------------- object storage and Ray
# The object-storage tests talk S3 over HTTP to a moto server on the loopback, as s3fs would to OBS.
# Credentials are set here, before any worker process (a fork server, Ray's workers) starts, so that
# every worker has them as a user's would.
for _key, _value in {"AWS_ACCESS_KEY_ID": "augment-tests", "AWS_SECRET_ACCESS_KEY": "augment-tests",
                     "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ.setdefault(_key, _value)


class S3:
    """A fresh bucket on the test server: ``url(key)``, ``fs`` (s3fs), ``put_tree``, ``digests``."""

    def __init__(self, endpoint: str, bucket: str) -> None:
        import s3fs

        self.endpoint, self.bucket = endpoint, bucket
        self.fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True)
        self.fs.mkdir(bucket)

    def url(self, key: str = "", scheme: str = "s3") -> str:
        return f"{scheme}://{self.bucket}/{key}".rstrip("/")

    def put_tree(self, local, key: str) -> str:
        self.fs.put(str(local), f"{self.bucket}/{key}", recursive=True)
        return self.url(key)

    def digests(self, key: str) -> dict[str, bytes]:
        """``{relative name: bytes}`` of every object under ``key``."""
        root = f"{self.bucket}/{key}".rstrip("/") + "/"
        return {p[len(root):]: self.fs.cat_file(p) for p in self.fs.find(root)}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on the loopback for the whole run: ``(endpoint, server)``."""
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}", server
    server.stop()


@pytest.fixture
def s3(s3_server, request):
    """A new bucket (named after the test) on the session's S3 server."""
    import re
    import zlib

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    bucket = f"t{zlib.crc32(request.node.nodeid.encode()):08x}-{name}"[:63].rstrip("-")
    return S3(s3_server[0], bucket)


@pytest.fixture(scope="session")
def ray_cluster():
    """A real 2-CPU Ray cluster on this machine, started once per test run."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False)
    yield ray
    ray.shutdown()
