"""``python -m augment``: the same as the ``augment`` executable."""

import sys

from .launch import entry

sys.exit(entry())
