"""``python -m augment``: the same as the ``augment`` executable."""

import sys

from .cli import entry

sys.exit(entry())
