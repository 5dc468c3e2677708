#!/usr/bin/env bash
# Install a single-node SLURM (slurm-wlm) and MUNGE from Debian's packages, for the
# cluster tests in tests/cluster/ (they start their own daemons; nothing is configured here).
# Idempotent and quiet; exits 0 with a message when apt-get is unavailable (not Debian/Ubuntu,
# or not root), in which case the cluster tests skip (and fail on CI, where CI=true).
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"   # the daemons live in sbin

have_all() {
  command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
    && command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1
}

versions() {
  slurmd -V 2>/dev/null | head -n1 || true
  munged --version 2>&1 | head -n1 || true
}

if have_all; then
  echo "slurm and munge already installed: $(versions | tr '\n' ' ')"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not available: install slurm-wlm and munge yourself to run the cluster tests"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: cannot apt-get install slurm-wlm munge; the cluster tests will be skipped (and fail on CI)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# policy-rc.d 101: never try to start services while installing (no init system in CI containers)
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && created_policy=1
fi
status=0
apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1 || status=$?
if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi
if [ "$status" -ne 0 ]; then
  echo "apt-get install slurm-wlm munge failed (exit $status): the cluster tests cannot run"
  exit 0
fi
if have_all; then
  echo "installed: $(versions | tr '\n' ' ')"
else
  echo "slurm-wlm/munge installed but some binaries are missing (slurmctld, slurmd, sbatch, munged)"
fi
exit 0
