"""The economy the agents live in: ledger, contracts, markets, clearing, the Mesa model."""

import sys

from world import compiled as _compiled

_compiled.activate(sys.modules[__name__])
