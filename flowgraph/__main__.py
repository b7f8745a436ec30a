"""``python -m flowgraph``: the command line (:func:`flowgraph.cli.run`)."""

from .cli import run

run()
