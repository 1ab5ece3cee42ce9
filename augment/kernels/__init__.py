"""Pure, vectorised kernels on numpy arrays: no classes, no randomness, no I/O.

Kernels never modify their inputs. Coordinates are continuous (pixel ``i`` spans ``[i, i+1)``).

Private: the operators (:mod:`augment.ops`) are the public way to these kernels; their names and
signatures may change without notice (see ``augment.PUBLIC_MODULES``).
"""
