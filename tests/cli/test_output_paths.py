"""Output paths the user gets wrong, and disks that fail: one line on stderr, a non-zero exit
(2 for a bad path), no traceback, and nothing half-written. Through the real console script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor.cli import app

EXE = shutil.which("tcptutor")
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    cmd = [EXE, *args] if EXE else [sys.executable, "-m", "tcptutor", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env, timeout=120)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under folder (hidden ones included) with a file's bytes."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def assert_one_line_error(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tcptutor: "), done.stderr
    for word in words:
        assert word in lines[0]
    assert done.stdout == ""
    return lines[0]


@pytest.fixture
def work(tmp_path) -> Path:
    (tmp_path / "notes.txt").write_text("a regular file\n")
    return tmp_path


BAD_SCENARIO = 'steps = ["server listen", "client sned 10"]\n'


@pytest.mark.parametrize("out", ["notes.txt/quiz.gift", "notes.txt/deeper/still/quiz.gift"])
def test_out_under_a_regular_file(work, out):
    before = tree(work)
    done = run("export", "gift", "--out", out, cwd=work)
    assert_one_line_error(done, 2, out, "notes.txt is a file, not a folder")
    assert tree(work) == before


@pytest.mark.parametrize("out", ["caps.pcapng", "caps.PCAP"])
def test_pcap_of_questions_into_a_file_name_says_it_wants_a_folder(work, out):
    before = tree(work)
    done = run("export", "pcap", "--out", out, cwd=work)
    assert_one_line_error(done, 2, out, "--out must be a folder", "--scenario")
    assert tree(work) == before  # in particular, no folder named *.pcapng


def test_pcap_of_questions_onto_an_existing_file(work):
    before = tree(work)
    done = run("export", "pcap", "--out", "notes.txt", cwd=work)
    assert_one_line_error(done, 2, "notes.txt", "--out must be a folder")
    assert tree(work) == before


def test_into_an_unwritable_folder(work):
    locked = work / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (needs root on a file system that supports it)")
    try:
        done = run("export", "pcap", "--scenario", "handshake", "--out", "locked/hs.pcapng", cwd=work)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert_one_line_error(done, 2, "locked/hs.pcapng", "not writable")
    assert list(locked.iterdir()) == []


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs, where even root cannot create files")
def test_into_a_folder_that_refuses_files(work):
    done = run("export", "pcap", "--scenario", "handshake", "--out", "/sys/tcptutor-test.pcapng", cwd=work)
    assert_one_line_error(done, 2, "/sys/tcptutor-test.pcapng", "cannot write here")
    assert not Path("/sys/tcptutor-test.pcapng").exists()


def test_a_failure_while_writing_leaves_no_folders_or_files(work):
    (work / "bad.toml").write_text(BAD_SCENARIO)
    before = tree(work)
    done = run("export", "pcap", "--scenario", "bad.toml", "--out", "new/deep/capture.pcapng", cwd=work)
    assert_one_line_error(done, 2, "bad.toml:1", "unknown step verb")
    assert tree(work) == before  # new/ and new/deep/ were made for the export, and removed


def test_a_failed_export_keeps_the_previous_file_and_a_good_one_replaces_it(work):
    (work / "bad.toml").write_text(BAD_SCENARIO)
    (work / "capture.pcapng").write_bytes(b"the previous capture")
    done = run("export", "pcap", "--scenario", "bad.toml", "--out", "capture.pcapng", cwd=work)
    assert done.returncode == 2
    assert (work / "capture.pcapng").read_bytes() == b"the previous capture"

    done = run("export", "pcap", "--scenario", "handshake", "--out", "capture.pcapng", cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "capture.pcapng\n"
    assert (work / "capture.pcapng").read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"  # a pcapng section header
    assert sorted(p.name for p in work.iterdir()) == ["bad.toml", "capture.pcapng", "notes.txt"]


def test_missing_parent_folders_are_made(work):
    done = run("export", "pcap", "--scenario", "handshake", "--out", "a/b/hs.pcapng", cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "a/b/hs.pcapng\n"
    assert [p.name for p in (work / "a" / "b").iterdir()] == ["hs.pcapng"]  # no hidden staging left


@pytest.fixture
def full_disk(tmp_path):
    """A tiny tmpfs, filled up: every write to it fails with ENOSPC."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    try:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            with pytest.raises(OSError):
                while True:
                    os.write(fd, b"\0" * 4096)
        finally:
            os.close(fd)
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_disk_full_is_one_line_and_leaves_nothing(full_disk, tmp_path):
    done = run("export", "pcap", "--scenario", "handshake", "--out", str(full_disk / "hs.pcapng"), cwd=tmp_path)
    assert_one_line_error(done, 1, str(full_disk / "hs.pcapng"), "no space left on the device")
    assert [p.name for p in full_disk.iterdir()] == ["filler"]


def test_an_os_error_in_any_command_is_one_line(work):
    done = run("course", "init", "notes.txt/net101", "--name", "Networks", cwd=work)
    assert_one_line_error(done, 2, "notes.txt/net101")


def test_a_reader_that_goes_away_is_not_a_traceback(work):
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: the first write fails with EPIPE
    try:
        done = run("simulate", "syn-flood", "--json", cwd=work, stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Error" not in done.stderr


def test_every_command_reports_errors():
    def commands(group):
        yield from group.registered_commands
        for sub in group.registered_groups:
            yield from commands(sub.typer_instance)

    found = list(commands(app))
    assert len(found) >= 15
    unwrapped = [c.callback.__name__ for c in found if not getattr(c.callback, "reports_errors", False)]
    assert not unwrapped
