"""``python -m pgxannot``: the same as the ``pgxannot`` command."""

import sys

from pgxannot.cli import main

sys.exit(main())
