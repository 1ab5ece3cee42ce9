"""The ``manifest`` command (placeholder until the manifest package lands)."""

import sys


def main(argv=None) -> int:
    print("manifest: not available yet", file=sys.stderr)
    return 2
