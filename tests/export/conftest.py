"""One bank built from the shipped content for every export test (exports only read it)."""

from __future__ import annotations

import pytest

from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine


@pytest.fixture(scope="session")
def bank(tmp_path_factory):
    """(url, engine) of a bank built once per test session from the shipped lessons."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bank') / 'bank.sqlite'}"
    engine = open_engine(url)
    build(engine)
    return url, engine
