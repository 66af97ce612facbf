"""Fixtures every test package may use."""

from __future__ import annotations

import pytest

from tcptutor import i18n


@pytest.fixture
def zh():
    """Chinese for the test's duration (as `--lang zh` sets it), English again after."""
    i18n.use("zh")
    yield
    i18n.use("en")
