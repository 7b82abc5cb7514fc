"""``python -m redset``: the same as the ``redset`` command."""

import sys

from ._cli import main

sys.exit(main())
