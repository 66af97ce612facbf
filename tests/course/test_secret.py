"""The course secret (.tcptutor-secret): created atomically 0600 by init and assign; an empty,
corrupt or group/world-readable one is refused with one clear line, never used, never a
traceback (issue 16)."""

from __future__ import annotations

import os
import stat

import pytest

from tcptutor.course import service
from tcptutor.course.seeds import variant_seed

GOOD = "ab" * 32


@pytest.fixture
def course(tmp_path):
    return service.init_course(tmp_path / "net101", name="Networks 101")


def secret_path(course):
    return course.root / service.SECRET_FILE


def test_init_creates_a_0600_secret_of_32_random_bytes_even_at_umask_000(tmp_path):
    old = os.umask(0)
    try:
        c = service.init_course(tmp_path / "c1")
    finally:
        os.umask(old)
    path = secret_path(c)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert len(text.strip()) == 64 and bytes.fromhex(text.strip())
    assert service.course_secret(c) == bytes.fromhex(text.strip())
    # no temp file is left beside it
    assert [p.name for p in c.root.iterdir() if p.name.startswith(f".{service.SECRET_FILE}.")] == []
    other = service.init_course(tmp_path / "c2")
    assert service.course_secret(other) != service.course_secret(c)


def test_an_existing_secret_is_kept(course):
    secret_path(course).write_text(GOOD + "\n")
    assert service.course_secret(course, create=True) == bytes.fromhex(GOOD)
    assert secret_path(course).read_text() == GOOD + "\n"


def test_a_missing_secret_is_not_created_outside_assign_and_init(course):
    secret_path(course).unlink()
    with pytest.raises(service.CourseError, match="missing.*restore it from a backup"):
        service.course_secret(course)
    assert not secret_path(course).exists()


@pytest.mark.parametrize("content, word", [(b"", "is empty"), (b"\n", "is empty"),
                                           (b"abcd\n", "is corrupt"), (b"zz" * 32, "is corrupt"),
                                           (b"\xff\xfe" * 20, "is corrupt"), (os.urandom(32).hex().encode() * 2, "is corrupt")])
def test_an_empty_or_corrupt_secret_is_refused_and_kept(course, content, word):
    path = secret_path(course)
    path.write_bytes(content)
    for create in (False, True):
        with pytest.raises(service.CourseError) as info:
            service.course_secret(course, create=create)
        message = str(info.value)
        assert word in message and "restore it from a backup (all seeds depend on it)" in message
        assert str(path) in message
    assert path.read_bytes() == content  # never replaced: the seeds of earlier assignments depend on it


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_others_can_read_or_write_is_refused(course, mode):
    path = secret_path(course)
    path.write_text(GOOD + "\n")
    path.chmod(mode)
    with pytest.raises(service.CourseError, match=r"chmod 600"):
        service.course_secret(course)
    path.chmod(0o600)
    assert service.course_secret(course) == bytes.fromhex(GOOD)


def test_an_empty_key_is_never_used_for_seeds():
    with pytest.raises(ValueError):
        variant_seed(b"", "net101", "quiz1", "s001", "hs-synack-numbers")


def test_the_cli_refuses_an_empty_secret_in_one_line(cli, tmp_path):
    root = tmp_path / "net101"
    assert cli("course", "init", root).returncode == 0
    (root / service.SECRET_FILE).write_bytes(b"")
    run = cli("course", "assign", "quiz1", "--course", root, "--db", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert run.returncode == 2
    assert run.stderr.startswith("tcptutor: ") and "is empty" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert not (root / "handouts").exists() and not (root / "keys").exists()


def test_exclusive_creation_never_replaces_a_secret_another_run_wrote(tmp_path):
    """Two first `assign`s at once: the later one keeps the earlier one's secret."""
    from tcptutor.course.files import atomic_file

    path = tmp_path / service.SECRET_FILE
    path.write_text(GOOD + "\n")
    with pytest.raises(FileExistsError):
        with atomic_file(path, durable=True, exclusive=True) as f:
            f.write("cd" * 32 + "\n")
    assert path.read_text() == GOOD + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [service.SECRET_FILE]
