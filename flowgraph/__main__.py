"""``python -m flowgraph``: the command line (:func:`flowgraph.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
