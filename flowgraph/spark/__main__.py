"""``python -m flowgraph.spark SOURCE --inventory FILE --out DIR``: see :mod:`flowgraph.spark.submit`."""

import sys

from .submit import main

sys.exit(main())
