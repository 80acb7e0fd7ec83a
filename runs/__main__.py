"""``python -m runs`` is the same as the ``aipm`` command."""

from runs.cli import main

main()
