"""Exports: one module per format, each registering a writer in FORMATS.

A writer takes an ExportSet (questions with their variants, already simulated and keyed)
and a destination path, writes its files, and returns the paths it wrote. Student-facing
files never contain answers; an answer key is always a separate file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..questions.model import Question
from ..questions.variants import Variant


@dataclass(frozen=True)
class ExportItem:
    question: Question  # with its words in the set's language where a current translation exists
    lesson: str
    version: int
    variants: tuple[Variant, ...]
    english: Question | None = None  # the English question, when `question` is a translation

    @property
    def source(self) -> Question:
        """The question as the bank holds it (its content hash is the English one's)."""
        return self.english or self.question


@dataclass(frozen=True)
class ExportSet:
    title: str
    items: tuple[ExportItem, ...]
    lessons: dict[str, str] = field(default_factory=dict)  # id -> title
    topics: dict[str, str] = field(default_factory=dict)  # id -> title
    lang: str = "en"  # the language of the words (i18n.LANGUAGES)
    untranslated: tuple[str, ...] = ()  # questions with no current translation into `lang`: in English


Writer = Callable[[ExportSet, Path], list[Path]]
FORMATS: dict[str, Writer] = {}


def register(name: str) -> Callable[[Writer], Writer]:
    def wrap(writer: Writer) -> Writer:
        FORMATS[name] = writer
        return writer

    return wrap


# Formats that write every variant's trace itself: the export cache holds nothing they use
# (its entries spare simulating and rendering), so they export without it.
TRACE_FORMATS = ("json", "pcap")
# Each format's module, so that an export imports its own writer and no other (the XML,
# SVG and zip modules the other formats need): tests check this against load_formats().
MODULES = {"moodle-xml": "moodle", "gift": "gift", "qti": "qti", "anki": "anki", "json": "json_export",
           "markdown": "sheets", "html": "sheets", "pcap": "pcap"}


def load_format(name: str) -> Writer:
    """The writer of format `name` (a key of MODULES), importing only its module."""
    import importlib

    importlib.import_module(f"{__name__}.{MODULES[name]}")
    return FORMATS[name]


def load_formats() -> dict[str, Writer]:
    """Import every format module so that each registers itself."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "select":
            importlib.import_module(f"{__name__}.{info.name}")
    return FORMATS


# ---------------------------------------------------------------- where an export goes

PCAP_SUFFIXES = (".pcapng", ".pcap")


def check_destination(out: Path, *, folder: bool = False) -> None:
    """Refuse an `--out` that cannot be written before any work is done, with the reason.

    `folder`: the export writes several files into `out` (pcap of questions), so `out` must
    be a folder, or not exist yet and not be named like a file.
    """
    out = Path(out)
    if folder and out.exists() and not out.is_dir():
        raise InputError(str(out), None, "this export writes one file per variant, so --out must be a folder, "
                                         "not a file (use --scenario NAME for a single capture)")
    if folder and not out.exists() and out.suffix.lower() in PCAP_SUFFIXES:
        raise InputError(str(out), None, f"this export writes one file per variant, so --out must be a folder, "
                                         f"not a {out.suffix} file name (use --scenario NAME for a single capture)")
    existing = out if out.is_dir() else out.parent
    while not existing.exists() and not existing.is_symlink():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(str(out), None, f"cannot write here: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(str(out), None, f"cannot write here: the folder {existing} is not writable")


def write_staged(write: Callable[[Path], list[Path]], out: Path) -> list[Path]:
    """Run `write(destination)` into a hidden folder beside `out`, then move what it wrote into
    place with os.replace, so that a failure (a full disk, an error half-way) leaves nothing
    half-written: neither new files nor the folders made for them. An existing file at `out`
    is replaced only once the new one is complete. An OSError names the user's path, never the
    hidden folder's.
    """
    out = Path(out)
    folder = out if out.is_dir() else out.parent
    made = []  # folders created for the export, shallowest first
    try:
        for parent in reversed([folder, *folder.parents]):
            if not parent.exists():
                parent.mkdir()
                made.append(parent)
        staging = Path(tempfile.mkdtemp(prefix=".tcptutor-export-", dir=folder))
    except OSError as err:
        _remove(made[:1])
        raise InputError(str(out), None, f"cannot write here: {(err.strerror or str(err)).lower()}") from None
    moved = []
    try:
        written = write(staging if out.is_dir() else staging / out.name)
        for entry in sorted(staging.iterdir()):
            os.replace(entry, folder / entry.name)
            moved.append(folder / entry.name)
        return [folder / Path(path).relative_to(staging) for path in written]
    except BaseException as err:
        _remove(moved)  # a later move failed: take back the earlier ones
        _remove(made[:1])  # the shallowest folder made holds the others
        if isinstance(err, OSError) and err.errno is not None:
            name = Path(os.fsdecode(err.filename)) if err.filename is not None else out
            if staging in name.parents:
                name = folder / name.relative_to(staging)
            raise OSError(err.errno, err.strerror, str(name)) from err
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
