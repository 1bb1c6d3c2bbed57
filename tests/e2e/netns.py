"""Test hosts on this machine: network namespaces joined to the root namespace by veth pairs.

Each host gets ``10.213.N.2`` and sees the root namespace at ``10.213.N.1``, where TCP forwarders relay
its connections to the services that listen on 127.0.0.1 (PostgreSQL, Redis, the fake Expo). Cutting a
host's network takes its link down: packets are dropped, not refused, as in a real partition.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator


def usable() -> str | None:
    """Why network namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        return "needs iproute2's `ip` and util-linux's `unshare`"
    name = f"rqprobe{secrets.token_hex(3)}"
    probe = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"the kernel refused a network namespace: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Host:
    def __init__(self, index: int) -> None:
        self.ports: dict[int, int] = {}  # a service's port on 127.0.0.1 → its forwarder's port at the gateway
        tag = secrets.token_hex(2)
        self.name = f"rq{index}{tag}"
        self.outer = f"rqo{index}{tag}"
        self.gateway = f"10.213.{index}.1"
        self.address = f"10.213.{index}.2"

    def create(self) -> None:
        inner = self.outer.replace("rqo", "rqi")
        _ip("netns", "add", self.name)
        _ip("link", "add", self.outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", self.name)
        _ip("addr", "add", f"{self.gateway}/30", "dev", self.outer)
        _ip("link", "set", self.outer, "up")
        _ip("-n", self.name, "addr", "add", f"{self.address}/30", "dev", inner)
        _ip("-n", self.name, "link", "set", inner, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")
        _ip("-n", self.name, "route", "add", "default", "via", self.gateway)

    def cut(self) -> None:
        _ip("link", "set", self.outer, "down")

    def heal(self) -> None:
        _ip("link", "set", self.outer, "up")

    def destroy(self) -> None:
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)

    def command(self, hostname: str, argv: list[str]) -> list[str]:
        """``argv`` run inside this host, with a host name of its own (a UTS namespace)."""
        script = 'hostname "$0" && exec "$@"'
        return ["ip", "netns", "exec", self.name, "unshare", "--uts", "sh", "-c", script, hostname, *argv]


class Forwarder:
    """Relays TCP connections from ``listen`` to ``target`` (one thread, selectors)."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(listen)
        self.port = int(self.server.getsockname()[1])
        self.server.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.server, selectors.EVENT_READ, None)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"forward-{listen}")
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            for key, _ in self.sel.select(timeout=0.2):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        client, _ = self.server.accept()
                        upstream = socket.create_connection(self.target)
                        for a, b in ((client, upstream), (upstream, client)):
                            a.setblocking(False)
                            self.sel.register(a, selectors.EVENT_READ, b)
                    continue
                src: socket.socket = key.fileobj  # type: ignore[assignment]
                dst: socket.socket = key.data
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                if data:
                    with contextlib.suppress(OSError):
                        dst.setblocking(True)
                        dst.sendall(data)
                        dst.setblocking(False)
                    continue
                for s in (src, dst):
                    with contextlib.suppress(KeyError, ValueError):
                        self.sel.unregister(s)
                    s.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.server.close()


@contextlib.contextmanager
def hosts(count: int, services: dict[str, int]) -> Iterator[list[Host]]:
    """``count`` hosts; each reaches ``services`` (name → port on 127.0.0.1) at its gateway, on the port
    that ``host.ports`` names (chosen by the kernel, so nothing else listening there can be in the way)."""
    made: list[Host] = []
    forwarders: list[Forwarder] = []
    try:
        first = 1 + secrets.randbelow(200)
        for i in range(count):
            host = Host(first + i)
            made.append(host)
            host.create()
            for port in services.values():
                forwarder = Forwarder((host.gateway, 0), ("127.0.0.1", port))
                forwarders.append(forwarder)
                host.ports[port] = forwarder.port
        yield made
    finally:
        for f in forwarders:
            f.close()
        for host in made:
            host.destroy()
