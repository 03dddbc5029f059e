"""The processes of the topology run (bench/topology.py): each child in its own process group,
restartable with the same command and environment; the ports they get and their logs."""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path


class TopologyError(RuntimeError):
    """The run could not bring the topology up or drive it."""


def entrygo_script() -> str:
    """The `entrygo` console script of this environment (.venv/bin/entrygo)."""
    beside = Path(sys.executable).with_name("entrygo")
    if beside.exists():
        return str(beside)
    found = shutil.which("entrygo")
    if found is None:
        raise TopologyError("the entrygo console script is missing: make install")
    return found


def fixed_ports(names: list[str]) -> dict[str, int]:
    """Free loopback ports below the kernel's ephemeral range, so that no port a process binds
    to 0 for itself (the Temporal SDK's metrics, the dev server's services) can take one of
    them between this choice and a restart."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    start = 20000 if low > 21000 else 1024
    chosen: dict[str, int] = {}
    rng = random.Random()
    while len(chosen) < len(names):
        port = rng.randrange(start, min(low, 65536))
        if port in chosen.values():
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen[names[len(chosen)]] = port
    return chosen


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Proc:
    """One child process in its own process group; restartable with the same command and env."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None  # the port it serves (API) or its metrics port (worker)
    popen: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: killpg reaches anything it spawned
            )
        self.pids.append(self.popen.pid)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the group and reap it."""
        self.signal_group(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    def stop(self, grace: float = 40.0) -> None:
        """SIGTERM the group, SIGKILL it after `grace` seconds."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self.kill()  # also whatever the group left behind
