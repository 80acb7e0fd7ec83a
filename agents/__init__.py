"""The agents: firms that decide and propose, and the investor population."""

import sys

from world import compiled as _compiled

_compiled.activate(sys.modules[__name__])
