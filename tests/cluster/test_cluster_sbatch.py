"""The local SLURM cluster itself: a batch job runs on the node and memory is scheduled."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from slurm_fixture import NODE_NAME, LocalSlurm, NodeResources, parse_slurmd_c, render_slurm_conf

pytestmark = pytest.mark.slurm


def wait_for_job(cluster: LocalSlurm, job_id: str, timeout: float = 60) -> str:
    """Final state of a job (COMPLETED, FAILED, ...) as ``squeue --states=all`` reports it."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["squeue", "--states=all", "--noheader", "--format=%T", "--jobs", job_id],
            capture_output=True,
            text=True,
            env=cluster.env(),
            check=False,
        )
        state = out.stdout.strip()
        if state and state not in {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING"}:
            return state
        time.sleep(0.3)
    raise AssertionError(
        f"job {job_id} still {state or 'unknown'} after {timeout:.0f} s\n{cluster.logs()}"
    )


def test_sbatch_wrap_hostname_completes(slurm_cluster: LocalSlurm, tmp_path: Path) -> None:
    out = tmp_path / "job.out"
    submitted = subprocess.run(
        [
            "sbatch",
            "--parsable",
            "--job-name",
            "pgx-sanity",
            "--mem",
            "100",
            "--time",
            "1",
            "--output",
            str(out),
            "--wrap",
            "hostname; echo cpus=$SLURM_CPUS_ON_NODE node=$SLURMD_NODENAME",
        ],
        capture_output=True,
        text=True,
        env=slurm_cluster.env(),
        cwd=tmp_path,
        check=False,
    )
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip().split(";")[0]
    assert job_id.isdigit()
    assert wait_for_job(slurm_cluster, job_id) == "COMPLETED"
    text = out.read_text()
    assert f"node={NODE_NAME}" in text
    assert text.splitlines()[0].strip()  # hostname printed


def test_memory_is_a_scheduled_resource(slurm_cluster: LocalSlurm) -> None:
    """A job asking more memory than the node has is refused at submission (CR_Core_Memory)."""
    assert slurm_cluster.node is not None
    too_much = slurm_cluster.node.real_memory_mb + 1024
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--mem", str(too_much), "--wrap", "true"],
        capture_output=True,
        text=True,
        env=slurm_cluster.env(),
        check=False,
    )
    assert submitted.returncode != 0
    assert "memory" in submitted.stderr.lower() or "not available" in submitted.stderr.lower()


def test_parse_slurmd_c() -> None:
    text = "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105\nUpTime=0-00:10:53\n"
    assert parse_slurmd_c(text) == NodeResources(cpus=2, real_memory_mb=24105)
    assert parse_slurmd_c("slurmd: error") is None


def test_render_slurm_conf_single_node(tmp_path: Path) -> None:
    conf = render_slurm_conf(
        tmp_path,
        ctld_port=7001,
        slurmd_port=7002,
        node=NodeResources(cpus=2, real_memory_mb=3000),
        munge_socket=tmp_path / "m.sock",
    )
    keys = dict(
        line.split("=", 1)
        for line in conf.splitlines()
        if not line.startswith(("NodeName", "PartitionName"))
    )
    assert keys["SelectTypeParameters"] == "CR_Core_Memory"
    assert keys["AccountingStorageType"] == "accounting_storage/none"
    assert keys["AuthInfo"] == f"socket={tmp_path / 'm.sock'}"
    assert keys["SlurmctldPort"] == "7001" and keys["SlurmdPort"] == "7002"
    assert f"NodeName={NODE_NAME} NodeAddr=127.0.0.1" in conf and "RealMemory=3000" in conf
