"""The bank tests use the same real databases as the course tests: a real PostgreSQL server
(`pg_server`), built shipped banks of either kind (`make_bank`), and the `cli` runner. They
are defined once, in tests/course/conftest.py, and shared from there."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tcptutor_course_fixtures", Path(__file__).parent.parent / "course" / "conftest.py")
_course = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(_course)

cli = _course.cli
sqlite_template = _course.sqlite_template
pg_server = _course.pg_server
pg_template = _course.pg_template
make_bank = _course.make_bank
copy_sqlite = _course.copy_sqlite
