"""Pure, vectorised kernels on numpy arrays: no classes, no randomness, no I/O.

Kernels never modify their inputs. Coordinates are continuous (pixel ``i`` spans ``[i, i+1)``).
"""
