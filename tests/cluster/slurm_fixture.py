"""A real single-node SLURM cluster for the tests: munged, slurmctld and slurmd on localhost.

Everything lives in one private folder (munge key and socket, slurm.conf, state, spool,
logs) and uses free TCP ports, so a system SLURM or a parallel test session is never
touched. Clients reach this cluster only through the environment returned by
:meth:`LocalSlurm.env`: ``SLURM_CONF`` pointing at the private slurm.conf, and PATH led by
a folder whose ``srun`` restores that variable inside batch jobs.

Needs root (slurmd launches jobs) and Debian's ``slurm-wlm`` and ``munge`` packages
(``scripts/ci_slurm_setup.sh`` installs them).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRED_BINARIES = (
    "munged",
    "munge",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "squeue",
    "sinfo",
    "scontrol",
    "scancel",
)
CLUSTER_NAME = "pgxtest"
NODE_NAME = "pgxnode1"
PARTITION = "debug"
# memory left to the operating system when the node's RealMemory is declared
MEMORY_MARGIN_MB = 256
START_TIMEOUT_S = 30.0


class SlurmStartError(RuntimeError):
    """The local cluster did not come up; the message carries the daemons' log tails."""


@dataclass(frozen=True)
class NodeResources:
    cpus: int
    real_memory_mb: int


# daemons live in sbin, which a non-login root shell's PATH may lack
_SBIN = os.pathsep.join(("/usr/local/sbin", "/usr/sbin", "/sbin"))


def find_binary(name: str) -> str | None:
    """Absolute path of a SLURM/MUNGE program on PATH or in the sbin folders."""
    return shutil.which(name) or shutil.which(name, path=_SBIN)


def missing_binaries() -> list[str]:
    """The SLURM/MUNGE programs not found (empty when the cluster can be started)."""
    return [b for b in REQUIRED_BINARIES if find_binary(b) is None]


def on_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """True on a CI runner (``CI=true``/``1``), where a missing SLURM is an error, not a skip."""
    return environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip the test with ``reason``; on CI (``CI=true``) fail instead: CI must run it."""
    if on_ci():
        pytest.fail(f"CI=true but {reason}: run scripts/ci_slurm_setup.sh before the tests")
    pytest.skip(reason)


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free on 127.0.0.1 right now (held open together while chosen)."""
    with contextlib.ExitStack() as stack:
        socks = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(n)
        ]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def parse_slurmd_c(text: str) -> NodeResources | None:
    """CPUs and RealMemory from ``slurmd -C`` output (what slurmd itself will detect)."""
    cpus = re.search(r"\bCPUs=(\d+)", text)
    mem = re.search(r"\bRealMemory=(\d+)", text)
    if not cpus or not mem:
        return None
    return NodeResources(cpus=int(cpus.group(1)), real_memory_mb=int(mem.group(1)))


def detect_node_resources() -> NodeResources:
    """This machine's CPUs and memory in MB, less a margin so slurmd never reports 'low memory'."""
    found: NodeResources | None = None
    try:
        out = subprocess.run(
            [find_binary("slurmd") or "slurmd", "-C"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        found = parse_slurmd_c(out.stdout)
    except (OSError, subprocess.TimeoutExpired):
        found = None
    if found is None:
        meminfo = Path("/proc/meminfo").read_text()
        total_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
        found = NodeResources(cpus=os.cpu_count() or 1, real_memory_mb=total_kb // 1024)
    return NodeResources(
        cpus=max(1, found.cpus),
        real_memory_mb=max(100, found.real_memory_mb - MEMORY_MARGIN_MB),
    )


def render_slurm_conf(
    root: Path,
    *,
    ctld_port: int,
    slurmd_port: int,
    node: NodeResources,
    munge_socket: Path,
    user: str = "root",
) -> str:
    """A minimal slurm.conf for one node on 127.0.0.1 (no accounting database, no cgroups).

    ``CR_Core_Memory`` makes ``--mem`` a consumable resource, so the workflow's ``mem_mb``
    is really scheduled. Without slurmdbd ``sacct`` does not work; finished jobs stay
    visible to ``squeue --states=all`` for ``MinJobAge`` seconds, which is what the
    Snakemake SLURM executor is told to use (``status_command: squeue``).
    """
    lines = [
        f"ClusterName={CLUSTER_NAME}",
        "SlurmctldHost=localhost(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        f"SlurmUser={user}",
        f"SlurmdUser={user}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge_socket}",
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'run' / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'run' / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
        "SlurmctldDebug=info",
        "SlurmdDebug=info",
        "MailProg=/bin/true",
        "MpiDefault=none",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SchedulerType=sched/builtin",
        # start newly submitted batch jobs at once (the default batches them every 3 s)
        "SchedulerParameters=batch_sched_delay=0",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none",
        "ReturnToService=2",
        "MinJobAge=300",
        "SlurmdTimeout=30",
        "InactiveLimit=0",
        "KillWait=5",
        (
            f"NodeName={NODE_NAME} NodeAddr=127.0.0.1 NodeHostname=localhost "
            f"CPUs={node.cpus} RealMemory={node.real_memory_mb} State=UNKNOWN"
        ),
        f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    ]
    return "\n".join(lines) + "\n"


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def clean_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without inherited SLURM job variables (running the tests inside a SLURM job)."""
    prefixes = ("SLURM_", "SBATCH_", "SALLOC_", "SRUN_", "SQUEUE_", "SINFO_", "SACCT_")
    return {k: v for k, v in environ.items() if not k.startswith(prefixes)}


class LocalSlurm:
    """Start with :meth:`start`, always :meth:`stop` (idempotent)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "slurm.conf"
        self.munge_dir = root / "munge"
        self.munge_socket = self.munge_dir / "munge.socket"
        self.node: NodeResources | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def env(self) -> dict[str, str]:
        env = clean_environ(os.environ)
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def _write_srun_shim(self) -> None:
        """``srun`` that finds this cluster even when its caller dropped ``SLURM_CONF``.

        snakemake-executor-plugin-slurm-jobstep (0.6.1) removes every ``SLURM_*`` variable,
        SLURM_CONF included, before its nested ``srun``; a real cluster keeps slurm.conf in
        the default place (or runs configless), this private one cannot. PATH survives
        ``sbatch --export=ALL``, so the job's ``srun`` is this wrapper around the real one.
        """
        real = find_binary("srun")
        if real is None:
            raise SlurmStartError("srun not found on PATH")
        shim = self.root / "bin" / "srun"
        shim.parent.mkdir(exist_ok=True)
        shim.write_text(
            f'#!/bin/sh\nSLURM_CONF="${{SLURM_CONF:-{self.conf}}}"\nexport SLURM_CONF\nexec {real} "$@"\n'
        )
        shim.chmod(0o755)

    # -- start -------------------------------------------------------------------------
    def start(self) -> None:
        for d in ("state", "spool", "run", "log"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o711)
        self._write_srun_shim()
        self._start_munge()
        self.node = detect_node_resources()
        ctld_port, slurmd_port = free_ports(2)
        self.conf.write_text(
            render_slurm_conf(
                self.root,
                ctld_port=ctld_port,
                slurmd_port=slurmd_port,
                node=self.node,
                munge_socket=self.munge_socket,
            )
        )
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._wait_for(self._controller_up, "slurmctld answering `scontrol ping`")
        self._spawn("slurmd", ["slurmd", "-D", "-N", NODE_NAME, "-f", str(self.conf)])
        self._wait_for(self._node_idle, f"node {NODE_NAME} idle in `sinfo`")

    def _start_munge(self) -> None:
        # munged is strict: key readable by its owner only, key folder 0700; the socket
        # folder must be traversable (0755). --force accepts running as root.
        key_dir = self.root / "munge-key"
        key_dir.mkdir(mode=0o700, exist_ok=True)
        key = key_dir / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o400)
        self.munge_dir.mkdir(mode=0o755, exist_ok=True)
        os.chmod(self.munge_dir, 0o755)
        self._spawn(
            "munged",
            [
                "munged",
                "--foreground",
                "--force",
                f"--key-file={key}",
                f"--socket={self.munge_socket}",
                f"--pid-file={self.munge_dir / 'munged.pid'}",
                f"--seed-file={key_dir / 'munged.seed'}",
                f"--log-file={self.root / 'log' / 'munged.log'}",
            ],
        )
        self._wait_for(self._munge_ok, "munged encoding a credential")

    def _spawn(self, name: str, argv: list[str]) -> None:
        argv = [find_binary(argv[0]) or argv[0], *argv[1:]]
        out = open(self.root / "log" / f"{name}.out", "wb")  # noqa: SIM115 (closed with the process)
        self._procs[name] = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env(),
            start_new_session=True,
        )
        out.close()

    def _run(self, argv: list[str], timeout: float = 10) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, capture_output=True, text=True, env=self.env(), timeout=timeout, check=False
        )

    def _munge_ok(self) -> bool:
        return self._run(["munge", "-S", str(self.munge_socket), "-n"]).returncode == 0

    def _controller_up(self) -> bool:
        return "UP" in self._run(["scontrol", "ping"]).stdout

    def _node_idle(self) -> bool:
        out = self._run(["sinfo", "-h", "-N", "-n", NODE_NAME, "-o", "%T"]).stdout.strip()
        return out == "idle"

    def _wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise SlurmStartError(
                        f"{name} exited with {proc.returncode} while waiting for {what}\n{self.logs()}"
                    )
            try:
                if ready():
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.3)
        raise SlurmStartError(
            f"timed out after {START_TIMEOUT_S:.0f} s waiting for {what}\n{self.logs()}"
        )

    def logs(self) -> str:
        parts = []
        for f in sorted((self.root / "log").glob("*")):
            parts.append(f"--- {f.name}\n{_tail(f)}")
        return "\n".join(parts)

    # -- stop --------------------------------------------------------------------------
    def stop(self) -> None:
        if not self._procs:
            return
        if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
            try:
                self._run(["scancel", "--partition", PARTITION], timeout=10)
                self._run(["scontrol", "shutdown"], timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        # reverse start order: slurmd, slurmctld, munged
        for name in reversed(list(self._procs)):
            _terminate(self._procs[name])
        self._procs.clear()


def _terminate(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group (slurmd's job steps included), SIGKILL after ``grace`` s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
