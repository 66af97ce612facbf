"""`tcptutor check`'s warnings: a question that works but may not ask what its author meant.

Errors (variants.VariantError) stop a build; these do not. Each warning is found by running
the question, never by reading its wording:

- a hidden parameter: changing one parameter alone (a [vary] name, or an ISN the variant
  draws) changes the answers while the prompt a student reads stays word for word the
  same, so the student cannot know what the answer depends on;
- a question that never varies: it has a [vary] table and yet every seed gives the same
  answers; and a [vary] name that changes neither the prompt nor the answers;
- a concrete ISN in the prompt: the prompt (or explanation) writes the named scenario's own
  ISN, say 1000, while each variant replaces it with a random one (keep_isns = true keeps it).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence

from ..errors import ScenarioError
from ..i18n import N_, Said, Term
from ..problems import Problem
from .model import Question
from .variants import Variant, VariantError, is_inline, make_variant, params_for

WARNING = "warning: "  # the English of every warning starts so (is_warning)
HIDDEN_SEEDS = 3  # base seeds tried per parameter: one can hit a coincidence, three rarely all do
OTHER_SEED = 1000  # where a changed parameter's other value is drawn from


def warning(question: Question, message: Said) -> Problem:
    """A warning's line: its English starts with WARNING (is_warning), `--lang zh` says it in Chinese."""
    return Problem(question.path, question.line, Said(N_("warning: question {qid}: {message}"), qid=question.id,
                                                      message=message))


def is_warning(problem: Problem) -> bool:
    return problem.message.startswith(WARNING)


def question_warnings(question: Question, variants: Sequence[Variant], scenarios: Mapping[str, str]) -> list[Problem]:
    """The warnings for a predict question, or a numeric one with [vary], whose variants (one
    per seed, all built) are given."""
    if not variants or not (question.kind == "predict" or (question.kind == "numeric" and question.vary)):
        return []
    out = _named_isns_in_text(question, scenarios)
    out += _hidden_parameters(question, variants, scenarios)
    out += _never_varies(question, variants)
    return out


def _varied_isns(question: Question, variants: Sequence[Variant]) -> bool:
    """Whether the variants' ISNs vary: not with keep_isns, nor in an inline scenario that
    writes both isns (read off the traces, so a `${client_isn}` placeholder counts as varied)."""
    if question.keep_isns:
        return False
    isns = {(v.trace.params["client"]["isn"], v.trace.params["server"]["isn"]) for v in variants if v.trace}
    return len(isns) > 1


# A number right after one of these is a size, not an ISN ("MSS 1000", "win=1000", "a window of 1000")
SIZE_BEFORE = re.compile(r"(?:\bMSS|\bmss|\bwindow(?: of)?|\bwin|\blen|\bsize|\bbuffer(?: of)?)[\s=:]*$")


def _named_isns_in_text(question: Question, scenarios: Mapping[str, str]) -> list[Problem]:
    """The scenario's ISN written as a bare number (not "1000 bytes", "1000-byte", "MSS 1000", "{client_isn}")."""
    text = question.scenario or ""
    if question.keep_isns or is_inline(text) or text not in scenarios:
        return []
    try:
        doc = tomllib.loads(scenarios[text])
    except tomllib.TOMLDecodeError:
        return []
    out = []
    for side in ("client", "server"):
        isn = (doc.get(side) or {}).get("isn")
        if not isinstance(isn, int) or isinstance(isn, bool):
            continue
        for where, body in (("prompt", question.prompt), ("explanation", question.explanation)):
            if any(not SIZE_BEFORE.search(body[:m.start()])
                   for m in re.finditer(rf"(?<![\d{{.]){isn}(?![\d}}]|[-\s]?(?:bytes?|ms|s|B)\b)", body)):
                out.append(warning(question, Said(N_(
                    "the {where} names {isn}, the {side}'s ISN in scenario {scenario!r}, but each variant replaces "
                    "the ISNs with random ones: write {{{key}_isn}} instead, or set keep_isns = true"),
                    where=where, isn=isn, side=Term("endpoint", side), scenario=text, key=side)))
    return out


def _answers(variant: Variant) -> dict:
    return {k: repr(v) for k, v in variant.answer_key.items()}


def _hidden_parameters(question: Question, variants: Sequence[Variant], scenarios: Mapping[str, str]) -> list[Problem]:
    """Change one parameter at a time, on a few seeds: answers that change under a prompt that
    does not is a hidden parameter; a [vary] name that changes neither is a dead one."""
    vary = [k for k, _ in question.vary]
    names = list(vary)
    if _varied_isns(question, variants):
        names = ["client_isn", "server_isn"] + [n for n in vary if n not in ("client_isn", "server_isn")]
    out = []
    for name in names:
        tried = moved = 0
        for base in variants[:HIDDEN_SEEDS]:
            other = params_for(question, base.seed + OTHER_SEED).get(name)
            if other is None or other == base.params.get(name):
                continue
            params = {**params_for(question, base.seed), name: other}
            try:
                changed = make_variant(question, base.seed, scenarios, params=params)
            except (VariantError, ScenarioError):
                continue
            tried += 1
            answers_moved = _answers(changed) != _answers(base)
            moved += answers_moved or changed.prompt != base.prompt
            if answers_moved and changed.prompt == base.prompt:
                was, now = base.params.get(name), changed.params.get(name)
                out.append(warning(question, Said(N_(
                    "the answers depend on {name} ({name} = {was} and {name} = {now} give different answers "
                    "at seed {seed}) but the prompt reads the same for both: show it with {{{name}}} "
                    "or a {{SELECTOR.FIELD}} placeholder"), name=name, was=was, now=now, seed=base.seed)))
                break
        if name in vary and tried and not moved:
            out.append(warning(question, Said(N_("vary.{name} changes neither the prompt nor the answers: "
                                                 "remove it, or use it"), name=name)))
    return out


def _never_varies(question: Question, variants: Sequence[Variant]) -> list[Problem]:
    """Only a question with a [vary] table is meant to vary beyond its ISNs. (One without it
    that asks about states or flags asks the same thing every time, and that is fine; and a
    seq/ack answer that stays the same over random ISNs is a deliberate 0, as a SYN's ack.)
    With same_answers = true the author says the answers must not vary: then that is checked."""
    if not question.vary or len(variants) < 2:
        return []
    first = _answers(variants[0])
    differ = next((v for v in variants[1:] if _answers(v) != first), None)
    if question.same_answers:
        if differ is None:
            return []
        return [warning(question, Said(N_("same_answers = true, but seed {seed} and seed {other} give different "
                                          "answers ({answers} against {others})"), seed=variants[0].seed,
                                       other=differ.seed, answers=_answers(variants[0]), others=_answers(differ)))]
    if differ is not None:
        return []
    names = [k for k, _ in question.vary]
    shown = ", ".join(f"{k} = {v}" for k, v in first.items())
    if len(names) == 1:
        message = N_("all {count} seeds give the same answers ({shown}): [vary] {names} changes none of them "
                     "(if that is the point, say so with same_answers = true)")
    else:
        message = N_("all {count} seeds give the same answers ({shown}): [vary] {names} change none of them "
                     "(if that is the point, say so with same_answers = true)")
    return [warning(question, Said(message, count=len(variants), shown=shown, names=", ".join(names)))]
