"""Exports: one module per format, each registering a writer in FORMATS.

A writer takes an ExportSet (questions with their variants, already simulated and keyed)
and a destination path, writes its files, and returns the paths it wrote. Student-facing
files never contain answers; an answer key is always a separate file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..questions.model import Question
from ..questions.variants import Variant


@dataclass(frozen=True)
class ExportItem:
    question: Question
    lesson: str
    version: int
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class ExportSet:
    title: str
    items: tuple[ExportItem, ...]
    lessons: dict[str, str] = field(default_factory=dict)  # id -> title
    topics: dict[str, str] = field(default_factory=dict)  # id -> title


Writer = Callable[[ExportSet, Path], list[Path]]
FORMATS: dict[str, Writer] = {}


def register(name: str) -> Callable[[Writer], Writer]:
    def wrap(writer: Writer) -> Writer:
        FORMATS[name] = writer
        return writer

    return wrap


def load_formats() -> dict[str, Writer]:
    """Import every format module so that each registers itself."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "select":
            importlib.import_module(f"{__name__}.{info.name}")
    return FORMATS
