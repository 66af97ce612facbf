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


@pytest.fixture(scope="module")
def selection(bank, request):
    """The whole bank with the test module's VARIANTS variants from its SEED (0 if it sets none)."""
    from tcptutor.export.select import collect

    return collect(bank[1], variants=request.module.VARIANTS, seed=getattr(request.module, "SEED", 0))


@pytest.fixture(scope="module")
def keys(bank, selection, request):
    """question id -> [answer key of variant k], recomputed by the grader's make_variant."""
    from sqlalchemy.orm import Session

    from tcptutor.bank import queries
    from tcptutor.questions.variants import make_variant

    seed, variants = getattr(request.module, "SEED", 0), request.module.VARIANTS
    with Session(bank[1]) as session:
        loaded = {item.question.id: queries.load_question(session, item.question.id) for item in selection.items}
    return {qid: [make_variant(lq.question, seed + k, lq.scenarios).answer_key for k in range(variants)]
            for qid, lq in loaded.items()}
