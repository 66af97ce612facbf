"""The table of export formats: each format's writer is imported from its own module alone."""

from __future__ import annotations

import subprocess
import sys

from tcptutor.export import MODULES, load_format, load_formats


def test_the_table_names_every_registered_format_and_its_module():
    formats = load_formats()
    assert sorted(MODULES) == sorted(formats)
    for name, module in MODULES.items():
        writer = load_format(name)
        assert writer is formats[name] and writer.__module__ == f"tcptutor.export.{module}"


def test_an_export_imports_its_own_format_only():
    """`export markdown` loads no other format's module (nor the translation module, for an
    English export): what an export does not need, it does not import."""
    code = ("import sys; from tcptutor.export import load_format; load_format('markdown'); "
            "import tcptutor.export.select; print(' '.join(sys.modules))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    others = {f"tcptutor.export.{m}" for m in ("moodle", "gift", "qti", "anki", "pcap")}
    assert "tcptutor.export.sheets" in loaded and not loaded & others
    assert "tcptutor.lessons.translation" not in loaded
