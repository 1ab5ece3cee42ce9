"""ModelArts dataset manifests (JSON lines) and ModelArts PASCAL VOC XML. Independent of ``augment``."""
from .errors import *  # noqa
from .model import Sample, Annotation
from .dataset import Manifest
from .jsonl import read_manifest, iter_manifest, write_manifest
