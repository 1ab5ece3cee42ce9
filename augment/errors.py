"""The exceptions raised by ``augment``.

Every error the library raises on purpose derives from :class:`AugmentError`, so
``except augment.AugmentError`` catches them all; each also derives from the
built-in exception a caller would reach for first (``ValueError``, ``TypeError``)::

    AugmentError
    ├── ConfigError (ValueError)          an operator or pipeline built with invalid parameters
    │   └── UnknownOperatorError (KeyError-free lookup failure: the name is not registered)
    ├── SampleError (ValueError)          a sample that cannot be augmented as given
    │   └── BoxError                      a bad box: wrong shape, NaN, x1 >= x2; names the box index
    └── UnsupportedImageError (TypeError) an image dtype / shape an operator does not handle;
                                          names the operator, the dtype and the shape

Messages name what is wrong and where (operator, parameter, box index, value), so that a
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
    "RunError",
    "FatalRunError",
    "Interrupted",
]


class AugmentError(Exception):
    """Base class of every error raised by ``augment``."""


class ConfigError(AugmentError, ValueError):
    """Invalid operator parameters or pipeline configuration."""


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
