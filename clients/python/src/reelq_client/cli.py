"""The ``reelq`` command of both installs.

``pip install reelq-client`` gives the client commands (login, upload, results, watch, artifacts, jobs);
where the server package ``reelq`` is installed as well (it depends on this one), the same script runs the
server's command, which has every command: these (the same code), plus serve, worker, users, analyze ….
"""

from __future__ import annotations

import importlib.util
import sys

from reelq_client import commands
from reelq_client._version import __version__


def server_installed() -> bool:
    try:
        return importlib.util.find_spec("reelq.cli") is not None
    except ModuleNotFoundError:  # no package called reelq at all
        return False


def client_main(argv: list[str]) -> int:
    top = commands.parser()
    top.add_argument("--version", action="version", version=f"reelq-client {__version__}")
    if not argv:
        top.print_help()
        return commands.EXIT_USAGE
    return commands.run(argv, top)


def main() -> None:
    if server_installed():
        from reelq.cli import main as server_main

        server_main()
        return
    sys.exit(client_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
