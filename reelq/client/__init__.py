"""``reelq.client`` is ``reelq_client`` (the reelq-client distribution, a dependency of reelq).

Kept so that ``from reelq.client import Client`` and ``reelq.client.errors`` … go on working where the
server is installed; new code may import ``reelq_client`` directly. ``reelq.client.local`` (an analysis
here, with no server) is the server package's own: it needs the analyzers.
"""

import importlib
import sys

import reelq_client
from reelq_client import *  # noqa: F403
from reelq_client import __all__ as __all__

# the submodules under their old names, as the very same module objects (one class per error, not two)
for _name in ("aio", "sync", "errors", "models", "resume", "login", "paths", "console", "summary"):
    sys.modules[f"{__name__}.{_name}"] = importlib.import_module(f"reelq_client.{_name}")
del _name
__version__ = reelq_client.__version__
