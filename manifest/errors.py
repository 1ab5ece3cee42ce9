"""The exceptions raised by ``manifest``.

Every error the package raises on purpose about the data it is given (a manifest line, a VOC
document or a value for one, a folder layout) derives from :class:`ManifestError`, which derives
from :class:`ValueError`, so ``except manifest.ManifestError`` catches them all::

    ManifestError (ValueError)      base class; carries .path, .line, .column and .reason
    ├── ManifestLineError           one line of a manifest: bad UTF-8, bad JSON, missing
    │                               ``source``, a value of the wrong JSON type
    ├── VocError                    a PASCAL VOC document: malformed XML, an object with two
    │   │                           shapes or none, a non-numeric coordinate; or boxes, a keep
    │   │                           mask or an option given to manifest.vocboxes that do not fit
    │   └── UnsafeXmlError          a DOCTYPE / entity declaration or a file over the size
    │                               limit: refused before anything is expanded or loaded
    └── LayoutError                 a folder layout problem: an image without annotation, an
        │                           annotation without image, an unreadable file
        └── UnusedFileError         a file under the folder that is not an input (a ``.gif``, a
                                    hidden file, a FIFO): reported with the reason, not a failure

``str(error)`` reads ``path:line:column: reason`` (the parts that are known), so one line in a
log is enough to find the cause. Never an ``assert``, never a bare ``KeyError``. Two kinds stay
Python's own, as in the standard library's readers and writers: ``TypeError`` for an argument of
the wrong Python type (``read_voc(42)``, ``write_manifest([3], f)``), and ``OSError`` from the file
system while writing (a full disk, a missing folder).

In lenient mode the readers do not raise: they record the same error objects in an
``errors`` list and go on. Each class is importable from here and from the package
(``manifest.UnusedFileError``; ``manifest.layouts.UnusedFileError`` as before).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["ManifestError", "ManifestLineError", "VocError", "UnsafeXmlError", "LayoutError", "UnusedFileError"]


def _where(path: Any, line: int | None, column: int | None) -> str:
    parts = []
    if path is not None:
        parts.append(os.fspath(path) if isinstance(path, os.PathLike) else str(path))
    if line is not None:
        parts.append(str(line))
        if column is not None:
            parts.append(str(column))
    return ":".join(parts)


class ManifestError(ValueError):
    """Base class of every error raised by ``manifest``.

    ``path`` (file name or ``None``), ``line`` and ``column`` (1-based, or ``None`` when not
    known) say where; ``reason`` says what is wrong.
    """

    def __init__(
        self,
        reason: str,
        path: Any = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        self.column = column
        where = _where(path, line, column)
        super().__init__(f"{where}: {reason}" if where else reason)

    # keep pickling (multiprocessing) working with the extra arguments
    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return (type(self), (self.reason, self.path, self.line, self.column))


class ManifestLineError(ManifestError):
    """A manifest line that cannot be read: bad UTF-8 or JSON, missing ``source``, wrong type."""


class VocError(ManifestError):
    """A PASCAL VOC XML document that is malformed or breaks ModelArts' rules."""


class UnsafeXmlError(VocError):
    """XML refused for safety: DOCTYPE or entity declarations, or over the size limit."""


class LayoutError(ManifestError):
    """A problem with a folder layout (missing pair, unreadable file, unknown layout)."""


class UnusedFileError(LayoutError):
    """A file under the folder that is not an input, with the reason (a ``.gif``, a hidden file,
    a FIFO, a dangling link, a text file in a label folder). Reported, not a failure."""
