"""The bundled examples' JSON/TSV/FHIR pinned by sha256.

A refactor must leave every byte of these outputs unchanged. A change that is meant
to alter a report updates ``tests/golden/examples.sha256`` in the same commit
(``python tests/test_golden_outputs.py --update``) and says why in the message.
The checkout's own path (it appears in provenance) is replaced by ``<ROOT>`` before
hashing, so the pin holds in any clone.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = ROOT / "tests" / "golden" / "examples.sha256"
EXTS = ("json", "tsv", "fhir.json")
EPOCH = "1700000000"


def _normalized_digest(path: Path) -> str:
    text = path.read_text(encoding="utf-8").replace(str(ROOT), "<ROOT>")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def example_digests(work: Path) -> dict[str, str]:
    """Run the bundled example in ``work``; sha256 of every pinned output by file name."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    proc = subprocess.run([sys.executable, "-m", "pgxannot", "run", "--cores", "2"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    reports = work / "results" / "reports"
    files = sorted(p for p in reports.iterdir() if any(p.name.endswith("." + e) for e in EXTS))
    return {p.name: _normalized_digest(p) for p in files}


def read_pin() -> dict[str, str]:
    out = {}
    for line in PIN.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split("  ", 1)
            out[name] = digest
    return out


@pytest.mark.slow
def test_example_outputs_are_byte_identical_to_the_pin(tmp_path):
    got = example_digests(tmp_path)
    want = read_pin()
    assert sorted(got) == sorted(want), "the set of example output files changed"
    changed = [n for n in want if got[n] != want[n]]
    assert not changed, (f"example outputs changed: {', '.join(changed)}; if intended, run "
                         "`python tests/test_golden_outputs.py --update` and say why in the commit")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_golden_outputs.py --update")
    with tempfile.TemporaryDirectory() as d:
        digests = example_digests(Path(d))
    PIN.parent.mkdir(parents=True, exist_ok=True)
    PIN.write_text("# sha256 of the bundled examples' outputs (checkout path as <ROOT>); "
                   "see tests/test_golden_outputs.py\n"
                   + "".join(f"{v}  {k}\n" for k, v in sorted(digests.items())), encoding="utf-8")
    print(f"pinned {len(digests)} files in {PIN.relative_to(ROOT)}")
