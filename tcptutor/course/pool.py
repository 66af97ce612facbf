"""Assign's variants computed in worker processes, in order, a few students at a time.

Simulating every student's variant is most of `course assign` (a congestion-control
question simulates a 200-segment transfer per student). The variants are independent, so
`min(cpu_count, chunks)` forked workers compute them while the parent writes handouts, keys
and the stored keys in the order it always did: the results are the same objects, in the
same order, as computing them in the parent (`compute` is that, and the pool calls it).

Only fork is used (Linux): a worker inherits the parent's language, catalogs and scenario
titles as they are. Elsewhere, and for small classes, everything runs in the parent.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator

from .. import i18n
from ..questions.variants import Variant, make_variant
from . import keys as answer_keys

CHUNK = 25  # students per job: big enough that pickling is small beside simulating
MIN_VARIANTS = 2000  # fewer: the parent alone (starting workers costs more than it saves)

Job = tuple[dict, list[tuple[int, int, str, bool]]]  # {(version id, lang): LoadedQuestion}, items


def compute(job: Job) -> list[tuple[Variant, dict | None]]:
    """Each item's canonical variant (without its trace: what assign keeps of it is the
    prompt, the expected values and labels) and, when asked, its stored key."""
    loaded, items = job
    out = []
    for version_id, seed, lang, need_key in items:
        q = loaded[(version_id, lang)]
        with i18n.speaking(lang):
            variant = make_variant(q.question, seed, q.scenarios)
            key = answer_keys.key_of(variant) if need_key else None
        out.append((dataclasses.replace(variant, trace=None), key))
    return out


def workers_for(variants: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    if variants < MIN_VARIANTS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, -(-variants // (CHUNK * 5))))


class Computer:
    """`run(jobs)` yields each job's results in order: in the parent with one worker, else
    from a pool of forked workers, at most 2 jobs per worker in flight (memory stays flat).
    Start it before any thread of the parent (the handout writer): fork copies only the
    calling thread."""

    def __init__(self, workers: int):
        self.pool = None
        self.workers = workers
        if workers > 1:
            from ..workers import worker_pool

            self.pool = worker_pool(workers, multiprocessing.get_context("fork"))
            self.pool.submit(int).result()  # fork the workers now, before the parent starts threads

    def run(self, jobs: Iterable[tuple[object, Job]]) -> Iterator[tuple[object, list[tuple[Variant, dict | None]]]]:
        """(tag, job) in, (tag, the job's results) out, in the order given."""
        if self.pool is None:
            for tag, job in jobs:
                yield tag, compute(job)
            return
        pending: deque = deque()
        for tag, job in jobs:
            pending.append((tag, self.pool.submit(compute, job)))
            if len(pending) >= 2 * self.workers:
                tag, future = pending.popleft()
                yield tag, future.result()
        while pending:
            tag, future = pending.popleft()
            yield tag, future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
