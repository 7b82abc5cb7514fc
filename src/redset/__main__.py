"""``python -m redset``: the same as the ``redset`` command."""

import sys

from ._cli import main

# The guard keeps the demo's spawned worker processes, which import the main
# module again, from running the command themselves.
if __name__ == "__main__":
    sys.exit(main())
