"""write_atomic: whole file or nothing, no temp files left behind."""

from __future__ import annotations

import hashlib
import os

import pytest

from pgxannot.errors import OutputError
from pgxannot.report import write_atomic
from pgxannot.report.io import StagedFiles


def test_writes_creates_folder_and_replaces(tmp_path):
    target = tmp_path / "reports" / "S1.json"
    write_atomic(target, "first\n")
    assert target.read_text() == "first\n"
    write_atomic(target, "second ≥\n")
    assert target.read_text(encoding="utf-8") == "second ≥\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["S1.json"]
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_unwritable_target_raises_output_error_and_cleans_up(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "S1.html").mkdir()  # a folder where the file should go: os.replace fails
    with pytest.raises(OutputError) as err:
        write_atomic(folder / "S1.html", "x")
    assert "S1.html" in str(err.value)
    assert [p.name for p in folder.iterdir()] == ["S1.html"]


def test_parent_is_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError):
        write_atomic(blocker / "S1.json", "x")
    assert os.path.isfile(blocker)


def test_staged_files_appear_together_or_not_at_all(tmp_path):
    """A chunk's reports: each text goes to a temporary file at once (memory of one report),
    nothing is under a final name until commit; an exception before commit leaves nothing."""
    with pytest.raises(RuntimeError), StagedFiles() as staged:
        staged.add(tmp_path / "r" / "A.json", "{}\n")
        assert not (tmp_path / "r" / "A.json").exists()
        raise RuntimeError("a render failed")
    assert list((tmp_path / "r").iterdir()) == []
    with StagedFiles() as staged:
        staged.add(tmp_path / "r" / "A.json", "{}\n")
        staged.add(tmp_path / "r" / "A.tsv", "é\n")
        written = staged.commit()
    assert written == [tmp_path / "r" / "A.json", tmp_path / "r" / "A.tsv"]
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["A.json", "A.tsv"]
    assert staged.sha256[tmp_path / "r" / "A.tsv"] == hashlib.sha256("é\n".encode()).hexdigest()


def test_staged_files_get_a_plain_opens_mode_and_never_write_through_a_stale_temporary(tmp_path):
    """The temporary names are the process's own (``.NAME.PID.tmp``, no random names); one
    left by an earlier process of the same id is neither written through nor renamed."""
    folder = tmp_path / "r"
    folder.mkdir()
    stale = folder / f".A.json.{os.getpid()}.tmp"
    stale.write_text("stale")
    plain = folder / "plain"
    plain.write_text("")
    with StagedFiles() as staged:
        staged.add(folder / "A.json", "new\n")
        staged.add(folder / "B.json", "b\n")
        staged.commit()
    assert (folder / "A.json").read_text() == "new\n" and (folder / "B.json").read_text() == "b\n"
    assert stale.read_text() == "stale"
    mode = plain.stat().st_mode & 0o777
    assert {(folder / n).stat().st_mode & 0o777 for n in ("A.json", "B.json")} == {mode}
    assert sorted(p.name for p in folder.iterdir()) == sorted([stale.name, "A.json", "B.json", "plain"])
