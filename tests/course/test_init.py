"""`course init` (issue 9, item 8): course.toml is valid TOML whatever the name holds, and a
failed init leaves nothing behind that it created."""

from __future__ import annotations

import tomllib

import pytest

from tcptutor.course import service
from tcptutor.course.files import toml_string

NAMES = ['Say "hi"', "back\\slash \\n not a newline", "two\nlines\tand a tab", "网络原理 101", "it's 'quoted'",
         "bell \x07 and del \x7f", '"""', "\\", ""]


@pytest.mark.parametrize("name", NAMES)
def test_toml_string_round_trips(name):
    assert tomllib.loads(f"x = {toml_string(name)}\n")["x"] == name


@pytest.mark.parametrize("name", NAMES[:5])
def test_init_writes_a_course_toml_that_reads_back_the_name(tmp_path, name):
    root = tmp_path / "net101"
    course = service.init_course(root, name=name)
    data = tomllib.loads((root / "course.toml").read_text(encoding="utf-8"))
    assert data == {"id": "net101", "name": name}
    assert service.open_course(root).name == name == course.name


def test_cli_init_with_quotes_in_the_name(cli, tmp_path):
    root = tmp_path / "net101"
    run = cli("course", "init", root, "--name", 'Say "hi"')
    assert run.returncode == 0, run.stderr
    assert tomllib.loads((root / "course.toml").read_text(encoding="utf-8"))["name"] == 'Say "hi"'


def test_a_failed_init_removes_the_folder_it_created(tmp_path):
    root = tmp_path / "new" / "net101"
    with pytest.raises(service.CourseError, match="cannot create the course"):
        service.init_course(root, name="lone surrogate \udcff")  # cannot be written as UTF-8
    assert not (tmp_path / "new").exists()


def test_a_failed_init_keeps_a_folder_that_existed_and_what_was_in_it(tmp_path):
    root = tmp_path / "net101"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    with pytest.raises(service.CourseError):
        service.init_course(root, name="\udcff")
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]
