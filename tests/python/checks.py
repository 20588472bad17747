"""The one pass/fail counter of the numpy checks: stops at the first failure, and prints the
closing line CI reads ("N passed, N failed")."""

import sys

_passed = 0


def check(cond, msg):
    """Counts a passed check, or prints `msg` and exits 1 on a failed one."""
    global _passed
    if not cond:
        print(f"FAIL: {msg}", file=sys.stderr)
        print(f"{_passed} passed, 1 failed")
        sys.exit(1)
    _passed += 1


def done():
    """The closing line of a run in which every check passed."""
    print(f"{_passed} passed, 0 failed")
