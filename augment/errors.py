"""The exceptions raised by ``augment``.

Every error the library raises on purpose derives from :class:`AugmentError`, so
``except augment.AugmentError`` catches them all; each also derives from the
built-in exception a caller would reach for first (shown in brackets)::

    AugmentError
    ├── ConfigError (ValueError)          invalid settings: an operator's or pipeline's parameters, a
    │   │                                 dataset's options, a negative epoch
    │   └── UnknownOperatorError          a configuration names an operator that is not registered
    ├── SampleError (ValueError)          a sample that cannot be augmented as given
    │   └── BoxError                      a bad box: wrong shape, NaN, x1 >= x2; ``.index`` names it
    ├── UnsupportedImageError (TypeError) an image dtype / shape an operator does not handle;
    │                                     names the operator, the dtype and the shape
    ├── ImageReadError (OSError)          an image file that cannot be read: missing, corrupt, not an
    │   │                                 image, of an unsupported kind (augment.imageio)
    │   └── ImageTooLargeError            more pixels than allowed (the decompression-bomb guard)
    ├── ImageWriteError (OSError)         an image that cannot be written in the asked format
    ├── StorageError (OSError)            a read or write of a URL (s3://, obs://, ...) that failed: no
    │                                     such object or bucket, denied, no credentials, the server
    │                                     unreachable; names the URL (augment.batch.storage)
    ├── AnnotationError (ValueError)      a VOC annotation that cannot be used with its image: bad XML,
    │                                     a size that does not match, a box outside (augment.annotations)
    ├── DatasetError                      a dataset item that cannot be given (augment.data)
    │   ├── LoadError                     a sample whose image or annotation cannot be read or fails
    │   │                                 validation; ``.index`` and ``.source`` name it
    │   ├── AllDroppedError               every attempt at an item was dropped by the pipeline
    │   ├── ItemIndexError (IndexError)   an index outside the dataset
    │   └── ItemKeyError (TypeError)      a key that is neither an index nor an (epoch, index) pair
    ├── RunError                          a batch run that cannot start: bad input or output folder,
    │   │                                 settings that differ from the run resumed (augment.batch)
    │   └── FatalRunError                 an error that dooms every remaining unit (disk full); the
    │                                     run stops with its journal and ``.summary`` kept
    └── Interrupted                       the run was stopped (Ctrl-C); a re-run completes the rest

Each is importable from here and from the module that raises it (``augment.imageio.ImageReadError``,
``augment.data.LoadError``, ``augment.annotations.AnnotationError``, ``augment.batch.RunError``,
``augment.batch.storage.StorageError``).
Messages name what is wrong and where (file, operator, parameter, box index, value), so that a
line in a log is enough to find the cause.
"""

from __future__ import annotations

__all__ = [
    "AugmentError",
    "ConfigError",
    "UnknownOperatorError",
    "SampleError",
    "BoxError",
    "UnsupportedImageError",
    "ImageReadError",
    "ImageTooLargeError",
    "ImageWriteError",
    "StorageError",
    "AnnotationError",
    "DatasetError",
    "LoadError",
    "AllDroppedError",
    "ItemIndexError",
    "ItemKeyError",
    "RunError",
    "FatalRunError",
    "Interrupted",
]


class AugmentError(Exception):
    """Base class of every error raised by ``augment``."""


class ConfigError(AugmentError, ValueError):
    """Invalid settings: an operator's or a pipeline's parameters, a dataset's options, an epoch."""


class UnknownOperatorError(ConfigError):
    """A configuration names an operator that is not registered."""


class SampleError(AugmentError, ValueError):
    """A sample (image + boxes + fields) that is not valid input."""


class BoxError(SampleError):
    """A bad bounding box. ``index`` is the offending box's position (or None)."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


class UnsupportedImageError(AugmentError, TypeError):
    """An image whose dtype or shape the operator does not support."""


class ImageReadError(AugmentError, OSError):
    """An image file that cannot be read: missing, unreadable, corrupt, or of an unsupported kind."""


class ImageTooLargeError(ImageReadError):
    """An image with more pixels than allowed (a decompression-bomb guard)."""


class ImageWriteError(AugmentError, OSError):
    """An image that cannot be written in the requested format."""


class StorageError(AugmentError, OSError):
    """A read or write of a URL that failed: no such object or bucket, access denied, missing
    credentials, the server unreachable. The message names the URL and the cause."""


class AnnotationError(AugmentError, ValueError):
    """A VOC annotation that cannot be used with its image (the message says why)."""


class DatasetError(AugmentError):
    """An item that a dataset of :mod:`augment.data` cannot give."""


class LoadError(DatasetError):
    """A sample whose image or annotation cannot be read or fails validation; names the file."""

    def __init__(self, message: str, index: int | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.source = source


class AllDroppedError(DatasetError):
    """Every attempt to produce an item was dropped by the pipeline (or unreadable)."""


class ItemIndexError(DatasetError, IndexError):
    """An item index outside the dataset (an ``IndexError``, so iteration stops as Python's does)."""


class ItemKeyError(DatasetError, TypeError):
    """A dataset key that is neither an integer index nor an ``(epoch, index)`` pair."""


class RunError(AugmentError):
    """A batch run that cannot start: bad input or output folder, settings that differ from the
    run being resumed, an unreadable manifest, a flag out of range."""


class FatalRunError(RunError):
    """An error that dooms every remaining unit (the output disk is full or read-only, the
    output folder is gone): the run stops, keeps its journal and summary (``.summary``, when it
    could be written), and a re-run finishes."""

    def __init__(self, message: str, summary: dict | None = None) -> None:
        super().__init__(message)
        self.summary = summary


class Interrupted(AugmentError):
    """The run was stopped (Ctrl-C); what was finished is kept and a re-run completes the rest."""
