"""How fast `tcptutor build` is on a large synthetic course, against a markdown-it-py baseline.

    python bench/bench_build.py                  # 500 lessons x 10 questions = 5,000 questions
    python bench/bench_build.py --quick          # 50 lessons x 10 questions
    python bench/bench_build.py --lessons 150    # any size in between
    python bench/bench_build.py --no-profile     # skip the two cProfile runs

A course is generated in a temporary folder (lessons/*.md only: the shipped topics and
named scenarios are used), deterministically from --seed. Each lesson has a title, a
lesson block, prose with sub-headings, a list and a table, a named scenario block, a
'## Common mistakes' section and 10 questions: 65% `predict` questions on shipped named
scenarios (handshake, data-transfer, active-close, lost-data, passive-close, lost-syn,
closed-port) with [[ask]] fields, the rest single / multiple / truefalse / numeric.

Measured in the same run, with time.perf_counter (best of N where affordable), plus the
CPU seconds of this process and its reaped children (the verification pool's workers):
  baseline  MarkdownIt("commonmark").parse(text) on every lesson's text (already read);
  full      build() into a fresh SQLite bank (open_engine, i.e. migrations, timed apart);
  no-change build() again on the same bank: the content-fingerprint short-circuit;
  forced    build(force=True): re-parses and re-verifies everything, writes no new rows.
Then one full build under cProfile (the parent process: the pool's workers are not
profiled) and one in-process verification of a sample of the course (workers=1), so that
the time spent inside the workers shows up too.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tcptutor import library
from tcptutor.bank import build as build_module
from tcptutor.bank import content as content_module
from tcptutor.bank import verifycache
from tcptutor.bank import models as m
from tcptutor.bank.build import build, compile_content, read_content
from tcptutor.bank.db import open_engine
from tcptutor.lessons.parser import VERIFY_SEEDS
from tcptutor.problems import ContentError

QUESTIONS_PER_LESSON = 10
PREDICT_SHARE = 0.65
TOPICS = ["handshake", "teardown", "header-flags", "syn-attacks", "time-wait", "sequence-numbers",
          "resets", "simultaneous", "retransmission", "misconceptions"]
LESSON_SCENARIOS = ["handshake", "data-transfer", "active-close", "lost-data", "passive-close",
                    "lost-syn", "closed-port"]

# ---------------------------------------------------------------------------------------
# The synthetic course
# ---------------------------------------------------------------------------------------

SENTENCES = [
    "Every byte TCP sends has a sequence number, and each direction numbers its bytes independently.",
    "The SYN occupies one sequence number, as if it were one byte of data, so the ack that answers it is the ISN plus one.",
    "A segment with no data, no SYN and no FIN consumes no sequence numbers at all.",
    "The acknowledgment number is the next sequence number the receiver expects, not the last one it received.",
    "A state changes when a segment is *sent or received*, and each endpoint only learns what reaches it.",
    "The listening socket never becomes a connection itself: each SYN creates a new, half-open entry.",
    "When the retransmission timer expires, the sender sends the oldest unacknowledged segment again and doubles its timeout.",
    "The side that closes first passes through FIN-WAIT-1 and FIN-WAIT-2 and ends in **TIME-WAIT**.",
    "TIME-WAIT lasts two maximum segment lifetimes, so that delayed duplicates of the old connection die out.",
    "The passive closer waits in CLOSE-WAIT until its own application calls `close()`.",
    "Wireshark shows *relative* sequence numbers by default, counting from each side's ISN.",
    "A reset aborts the connection at once: nothing is acknowledged and nothing is retransmitted.",
    "Three duplicate ACKs tell the sender that a segment is missing while later ones are still arriving.",
    "The MSS option announces the largest payload its sender is prepared to receive in one segment.",
    "Losses change the timing of a connection, never the sequence numbers that its segments carry.",
    "On Linux you can list half-open entries with `ss -tan state syn-recv` while they last.",
    "An ISN that advances with a clock keeps a new connection's numbers away from an old one's.",
    "The receiver acknowledges cumulatively: one ACK covers every byte up to the number it carries.",
    "A FIN, like a SYN, occupies one sequence number, so the ACK of a FIN is its seq plus one.",
    "RFC 9293 gives old duplicate connection attempts as the main reason for the three-way handshake.",
]
HEADINGS = ["What happens on the wire", "Two sides, two sets of states", "Reading the numbers",
            "When a segment is lost", "What the kernel does for you", "Timers", "In practice"]
MISTAKES = [
    ("ack is always seq + 1.", "Only a SYN or a FIN consumes exactly one number; data consumes its length, a bare ACK nothing."),
    ("The server is ESTABLISHED once it sends its SYN+ACK.", "Sending proves nothing; it waits in SYN-RECEIVED for the ACK of its SYN."),
    ("TIME-WAIT is on the server.", "TIME-WAIT lands on whichever side closes first, client or server."),
    ("A retransmission gets a new sequence number.", "It repeats the same bytes, so it carries the same seq as the original."),
    ("accept() does the handshake.", "The kernel completes it; accept() takes a finished connection off the queue."),
]


def _prose(rng: random.Random, sentences: int) -> str:
    words = " ".join(rng.choice(SENTENCES) for _ in range(sentences))
    lines, line = [], ""
    for word in words.split():  # wrap at ~92 columns, like the shipped lessons
        if line and len(line) + 1 + len(word) > 92:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def predict_question(qid: str, n: int, topic: str) -> str:
    """The n-th predict template: a shipped named scenario and asks that it can answer."""
    head = f'id = "{qid}"\nkind = "predict"\ntopics = ["{topic}"]\ndifficulty = {1 + n % 3}\n'
    templates = [
        ("handshake",
         "The client's ISN is {client_isn} and the server's is {server_isn}. Give the seq and ack of the server's SYN+ACK.",
         "The SYN+ACK carries the server's own ISN as its seq; its ack is the client's ISN + 1, because the SYN consumed one number.",
         [("seq", "seq", 'segment = "server SYN+ACK"'), ("ack", "ack", 'segment = "server SYN+ACK"')]),
        ("handshake",
         "Client ISN {client_isn}, server ISN {server_isn}. Give the seq and ack of the third segment of the handshake.",
         "Both SYNs used one number each, so the client's ACK carries client ISN + 1 and server ISN + 1.",
         [("seq", "seq", 'segment = "client ANY 2"'), ("ack", "ack", 'segment = "client ANY 2"')]),
        ("handshake",
         "Which state is the server in right after sending its SYN+ACK (ISNs {client_isn} and {server_isn}), and the client once it arrives?",
         "Sending proves nothing: the server stays in SYN-RECEIVED. The client becomes ESTABLISHED on receiving the SYN+ACK.",
         [("server_state", "state", 'endpoint = "server"\nat = "server SYN+ACK"'),
          ("client_state", "state", 'endpoint = "client"\nat = "server SYN+ACK"')]),
        ("data-transfer",
         "Client ISN {client_isn}, server ISN {server_isn}. The client sends 100 bytes, the server 300, then the client 50 and 20. Give the seq of the client's second data segment and the ack of the server's data segment.",
         "The first 100 bytes take client ISN + 1 to + 100, so the next segment starts at ISN + 101; the server has received those 100 bytes when it sends, so it acknowledges ISN + 101.",
         [("seq", "seq", 'segment = "client DATA 2"'), ("ack", "ack", 'segment = "server DATA 1"'),
          ("len", "len", 'segment = "client DATA -1"')]),
        ("active-close",
         "Client ISN {client_isn}, server ISN {server_isn}. The client closes first. Give the flags of its closing segment and of the server's immediate reply.",
         "The client's FIN travels with ACK: FIN+ACK. The server only acknowledges it, with a bare ACK, until its own application closes.",
         [("client_flags", "flags", 'segment = "client ANY 3"'), ("server_flags", "flags", 'segment = "server ANY 2"')]),
        ("active-close",
         "The client (ISN {client_isn}) closes first and the scenario waits five minutes. List the client's states in order.",
         "FIN-WAIT-1 on sending the FIN, FIN-WAIT-2 once it is acknowledged, TIME-WAIT on the peer's FIN, CLOSED after 2 MSL.",
         [("states", "states", 'endpoint = "client"')]),
        ("active-close",
         "Profile rfc9293 (MSL 2 minutes), ISNs {client_isn} and {server_isn}. How many seconds does the client's TIME-WAIT timer run?",
         "TIME-WAIT lasts 2 x MSL = 240 s.",
         [("timeout", "timeout", 'endpoint = "client"\ntimer = "time-wait"')]),
        ("lost-data",
         "Client ISN {client_isn}. The client sends three 100-byte segments and the first is lost. How long does its retransmission timer run, when does the copy leave, and what seq does it carry?",
         "With a 20 ms RTT the standard profile's floor of 1 s applies; the copy repeats the first segment's bytes, so its seq is ISN + 1.",
         [("rto", "timeout", 'endpoint = "client"\ntimer = "retransmission"'),
          ("sent_at", "sent_at", 'segment = "client DATA retransmission"'),
          ("seq", "seq", 'segment = "client DATA retransmission"')]),
        ("passive-close",
         "Client ISN {client_isn}, server ISN {server_isn}. The server closes first. Give the server's final state and the ack of the client's FIN.",
         "The server closed first, so it ends in TIME-WAIT; the client's FIN acknowledges the server's FIN, which used one number.",
         [("state", "state", 'endpoint = "server"\nat = "end"'), ("ack", "ack", 'segment = "client FIN"')]),
        ("lost-syn",
         "Client ISN {client_isn}. The first SYN is lost. When is it retransmitted, and with what seq?",
         "After the initial RTO of 1 s; a retransmitted SYN carries the same ISN.",
         [("sent_at", "sent_at", 'segment = "client SYN retransmission"'),
          ("seq", "seq", 'segment = "client SYN retransmission"')]),
        ("closed-port",
         "A client with ISN {client_isn} sends a SYN to a closed port. Give the flags and ack of the reply and the client's final state.",
         "The host refuses with RST+ACK acknowledging the SYN (ISN + 1); connect() fails and the client returns to CLOSED.",
         [("flags", "flags", 'segment = "server ANY 1"'), ("ack", "ack", 'segment = "server ANY 1"'),
          ("state", "state", 'endpoint = "client"\nat = "end"')]),
    ]
    scenario, prompt, explanation, asks = templates[n % len(templates)]
    text = head + f'scenario = "{scenario}"\nprompt = "{prompt}"\nexplanation = "{explanation}"\n'
    for field, what, where in asks:
        text += f'\n[[ask]]\nfield = "{field}"\nwhat = "{what}"\n{where}\n'
    return text


def other_question(qid: str, n: int, topic: str) -> str:
    head = f'id = "{qid}"\ntopics = ["{topic}"]\ndifficulty = {1 + n % 3}\n'
    kind = ("single", "multiple", "truefalse", "numeric")[n % 4]
    if kind == "truefalse":
        return head + ('kind = "truefalse"\nprompt = "True or false: the three steps of the handshake are LISTEN, SYN-SENT and SYN-RECEIVED."\n'
                       'answer = false\nexplanation = "Those are states of two different endpoints; the steps are three segments: SYN, SYN+ACK, ACK."\n')
    if kind == "numeric":
        return head + ('kind = "numeric"\nprompt = "The data offset field is 4 bits wide and counts 32-bit words. What is the largest TCP header, in bytes?"\n'
                       'answer = 60\ntolerance = 0\nunit = "bytes"\nexplanation = "15 words of 4 bytes are 60 bytes; the fixed part is 20, so options get 40."\n')
    options = [
        ("The kernel completes it; the connection waits in a queue until accept() picks it up", True,
         "Yes. The handshake is the kernel's job; accept() merely hands over a finished connection."),
        ("The server does not answer the SYN until accept() is called", False,
         "The SYN+ACK is sent by the kernel at once; the application is not involved."),
        ("The half-open entry is listed by ss -tan state syn-recv while it lasts", kind == "multiple",
         "It is listed there until the third segment arrives." if kind == "multiple" else "That is true, but it does not say what happens to the handshake."),
        ("The server sends the third segment when accept() is called", False,
         "The third segment comes from the client."),
    ]
    text = head + (f'kind = "{kind}"\nprompt = "A server calls listen() but does not call accept() for a while. A client connects. '
                   f'{"Which of these are true?" if kind == "multiple" else "What happens to the handshake?"}"\n'
                   'explanation = "The kernel completes the handshake on its own; accept() only takes the connection off the queue."\n')
    for option, correct, feedback in options:
        text += f'\n[[options]]\ntext = "{option}"\ncorrect = {str(correct).lower()}\nfeedback = "{feedback}"\n'
    return text


def lesson_text(index: int, rng: random.Random) -> tuple[str, int]:
    """The Markdown of lesson `index` and how many predict questions it holds."""
    lid = f"lesson-{index:04d}"
    topic = TOPICS[index % len(TOPICS)]
    other_topic = TOPICS[(index + 3) % len(TOPICS)]
    parts = [f"# Synthetic lesson {index}: {HEADINGS[index % len(HEADINGS)].lower()}\n",
             "```lesson",
             f'id = "{lid}"',
             f'topics = ["{topic}", "{other_topic}"]',
             "objectives = [",
             '  "Compute the seq and ack of every segment from the two ISNs",',
             '  "Give each side\'s state before, during and after the exchange",',
             '  "Explain what the retransmission and TIME-WAIT timers protect against",',
             "]",
             "```\n",
             _prose(rng, 6) + "\n"]
    for h in range(3):
        parts.append(f"## {HEADINGS[(index + h) % len(HEADINGS)]}\n")
        for _ in range(3):
            parts.append(_prose(rng, rng.randint(4, 7)) + "\n")
        if h == 0:
            parts += ["1. **SYN** (client -> server): `seq = ISN`, no ACK flag.",
                      "2. **SYN+ACK** (server -> client): its own ISN, `ack = client ISN + 1`.",
                      "3. **ACK** (client -> server): `seq = ISN + 1`, `ack = server ISN + 1`.\n"]
        if h == 1:
            parts += ["| | client | server |", "| --- | --- | --- |",
                      "| before | CLOSED | LISTEN |", "| after 1 | SYN-SENT | SYN-RECEIVED |",
                      "| after 3 | ESTABLISHED | ESTABLISHED |\n"]
    parts += ["Here is the exchange, from the simulator:\n", "```scenario",
              LESSON_SCENARIOS[index % len(LESSON_SCENARIOS)] + (" relative" if index % 5 == 0 else ""),
              "```\n", _prose(rng, 5) + "\n", "## Common mistakes\n"]
    for k in range(3):
        claim, truth = MISTAKES[(index + k) % len(MISTAKES)]
        parts.append(f'**"{claim}"** {truth} ' + _prose(rng, 2) + "\n")
    parts.append("## Questions\n")
    share = QUESTIONS_PER_LESSON * PREDICT_SHARE  # 6.5: lessons alternate 7 and 6 predict questions
    predicts = math.ceil(share) if index % 2 == 0 else math.floor(share)
    for q in range(QUESTIONS_PER_LESSON):
        qid = f"l{index:04d}-q{q:02d}"
        n = index * QUESTIONS_PER_LESSON + q
        block = predict_question(qid, n, topic) if q < predicts else other_question(qid, n, topic)
        parts += ["```question", block.rstrip("\n"), "```\n"]
    return "\n".join(parts), predicts


def write_course(root: Path, lessons: int, seed: int) -> tuple[int, int, int]:
    """Write lessons/*.md under root; (questions, predict questions, bytes written)."""
    rng = random.Random(seed)
    (root / "lessons").mkdir(parents=True)
    predicts = size = 0
    for index in range(lessons):
        text, p = lesson_text(index, rng)
        predicts += p
        size += len(text.encode())
        (root / "lessons" / f"{index:04d}-lesson.md").write_text(text, encoding="utf-8")
    return lessons * QUESTIONS_PER_LESSON, predicts, size


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User+system CPU of this process and of its reaped children (the pool's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


PHASES: dict[str, float] = {}  # wall seconds per build phase, for the current timed call
PHASE_FUNCTIONS = {(build_module, "read_content"): "read files", (content_module, "parse_course"): "parse lessons",
                   (build_module, "compile_content"): "parse + verify", (build_module, "_write"): "write bank"}


def instrument_build():
    """Time build()'s phases by wrapping the module-level functions it calls (this process
    only); returns a function that puts the originals back."""
    originals = {(module, name): getattr(module, name) for module, name in PHASE_FUNCTIONS}
    for (module, name), label in PHASE_FUNCTIONS.items():
        original = originals[(module, name)]

        def wrapper(*a, _original=original, _label=label, **k):
            start = time.perf_counter()
            try:
                return _original(*a, **k)
            finally:
                PHASES[_label] = PHASES.get(_label, 0.0) + time.perf_counter() - start

        setattr(module, name, wrapper)

    def restore() -> None:
        for (module, name), original in originals.items():
            setattr(module, name, original)

    return restore


def phase_line(total: float, phases: dict[str, float]) -> str:
    if "parse + verify" not in phases:
        return ""
    shown = {
        "read files": phases.get("read files", 0.0),
        "parse lessons": phases.get("parse lessons", 0.0),
        "verify (pool)": phases["parse + verify"] - phases.get("parse lessons", 0.0),
        "write bank": phases.get("write bank", 0.0),
    }
    shown["other (fingerprint, sessions)"] = total - sum(shown.values())
    return "          phases: " + ", ".join(f"{k} {v:.2f} s ({v / total:.0%})" for k, v in shown.items())


def timed(fn) -> tuple[float, float, object, dict[str, float]]:
    gc.collect()
    PHASES.clear()
    cpu, start = cpu_seconds(), time.perf_counter()
    result = fn()
    return time.perf_counter() - start, cpu_seconds() - cpu, result, dict(PHASES)


def best_of(repeats: int, fn, setup=None) -> tuple[float, float, object, dict[str, float]]:
    """(best wall time, CPU time, result, phases) of the best of `repeats` calls of fn(setup())."""
    best = (float("inf"), 0.0, None, {})
    for _ in range(repeats):
        arg = setup() if setup else None
        run = timed((lambda arg=arg: fn(arg)) if setup else fn)
        if run[0] < best[0]:
            best = run
    return best


def parse_all(texts: list[str]) -> int:
    return sum(len(MarkdownIt("commonmark").parse(text)) for text in texts)


def bank_counts(engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        lessons = session.scalar(select(func.count()).select_from(m.Lesson).where(m.Lesson.active))
        questions = session.scalar(select(func.count()).select_from(m.Question).where(m.Question.active))
        versions = session.scalar(select(func.count()).select_from(m.QuestionVersion))
    return lessons or 0, questions or 0, versions or 0


def profile_text(profiler: cProfile.Profile, top: int, sort: str = "cumulative") -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[max(0, start - 3):]).rstrip()


def cli_first_use(root: Path, repeats: int) -> tuple[float, float]:
    """`tcptutor lessons` on a bank that does not exist yet, in a fresh interpreter: what a
    student's first command costs (migrations, the build, the listing). Best wall of N, and
    that run's CPU seconds."""
    best = (float("inf"), 0.0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(repeats):
        bank = root / f"first-use-{i}.sqlite"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tcptutor", "lessons", "--db", f"sqlite:///{bank}"], check=True,
                       env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        best = min(best, (wall, cpu))
    return best


def shipped_figures(root: Path, repeats: int) -> bool:
    """Issue 14's figures on the shipped lessons: the first-use build (the prebuilt
    verification cache), the same with no cache at all (every question verified: the
    figure before the cache), `check` after a build, and a build after a one-lesson edit."""
    files = read_content()
    texts = list(files.lessons.values())
    base_wall, _, tokens, _ = best_of(5, lambda: parse_all(texts))
    print(f"shipped lessons: {len(files.lessons)} files; baseline markdown-it-py parse ({tokens:,} tokens): "
          f"{base_wall * 1e3:.1f} ms (best of 5)")
    cache_file = root / "shipped-user-cache.json"
    banks = iter(range(1_000_000))

    def fresh_bank(cache: str):
        os.environ[verifycache.ENV] = cache
        cache_file.unlink(missing_ok=True)
        return open_engine(f"sqlite:///{root / f'shipped-{next(banks)}.sqlite'}")

    first_wall, first_cpu, (engine, report), _ = best_of(
        repeats, lambda e: (e, build(e)), setup=lambda: fresh_bank(str(cache_file)))
    verified = len(verifycache.read_keys(cache_file))
    n = bank_counts(engine)
    ok = n[1] == report.questions and report.new_questions == report.questions
    print(f"  first-use build() (prebuilt cache): {first_wall * 1e3:7.1f} ms wall, {first_cpu * 1e3:6.1f} ms CPU "
          f"(best of {repeats}); {verified} questions verified; {report.summary()}")
    engine.dispose()
    cold_wall, cold_cpu, (engine, _), _ = best_of(1, lambda e: (e, build(e)), setup=lambda: fresh_bank("off"))
    print(f"  build() with no cache (all verified): {cold_wall * 1e3:7.1f} ms wall, {cold_cpu * 1e3:6.1f} ms CPU "
          f"(CPU includes the pool's workers)")
    engine.dispose()

    os.environ[verifycache.ENV] = str(cache_file)
    check_wall, check_cpu, _, _ = best_of(repeats, lambda: content_module.check())
    print(f"  check() after a build, unchanged:   {check_wall * 1e3:7.1f} ms wall, {check_cpu * 1e3:6.1f} ms CPU")

    folder = root / "edited"
    shutil.copytree(library.CONTENT, folder, symlinks=False)
    engine = open_engine(f"sqlite:///{root / 'edited.sqlite'}")
    build(engine, folder)  # the copy's questions are the shipped ones: all cache hits
    lesson = sorted((folder / "lessons").glob("*.md"))[0]
    lesson.write_text(re.sub(r'prompt = "(?!"")', 'prompt = "(Edited.) ', lesson.read_text(encoding="utf-8"), count=1),
                      encoding="utf-8")
    before = len(verifycache.read_keys(cache_file))
    edit_wall, edit_cpu, edited, _ = timed(lambda: build(engine, folder))
    verified_edit = len(verifycache.read_keys(cache_file)) - before
    print(f"  build() after a one-lesson edit:    {edit_wall * 1e3:7.1f} ms wall, {edit_cpu * 1e3:6.1f} ms CPU; "
          f"{verified_edit} question verified; {edited.summary()}")
    ok = ok and verified_edit == 1 and edited.new_versions == 1
    engine.dispose()
    os.environ[verifycache.ENV] = str(cache_file)
    cli_wall, cli_cpu = cli_first_use(root, repeats)
    print(f"  `tcptutor lessons` on a new bank:   {cli_wall * 1e3:7.1f} ms wall, {cli_cpu * 1e3:6.1f} ms CPU "
          f"(a fresh interpreter: imports, migrations, build, listing; best of {repeats})")
    print("  ratios to the markdown-it parse: "
          f"first-use build {first_wall / base_wall:.1f}x, no cache {cold_wall / base_wall:.1f}x, "
          f"check after build {check_wall / base_wall:.1f}x, one-lesson edit {edit_wall / base_wall:.1f}x")
    os.environ.pop(verifycache.ENV, None)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 lessons instead of 500")
    parser.add_argument("--lessons", type=int, help="number of lessons (10 questions each)")
    parser.add_argument("--repeats", type=int, help="best of N for the full and forced builds (default 1, quick 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated prose")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument("--profile-lessons", type=int, default=20,
                        help="lessons verified in-process under cProfile (default 20)")
    parser.add_argument("--keep", metavar="DIR", help="generate the course in DIR and keep it")
    parser.add_argument("--shipped-only", action="store_true", help="only the shipped lessons' figures")
    args = parser.parse_args()
    lessons = args.lessons or (50 if args.quick else 500)
    heavy = args.repeats or (3 if lessons <= 50 else 1)
    light = 5

    tmp = None
    if args.keep:
        root = Path(args.keep)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tcptutor-bench-")
        root = Path(tmp.name)
    try:
        if not shipped_figures(root, 3):
            print("shipped lessons: UNEXPECTED RESULT (see above)")
            return 1
        if args.shipped_only:
            return 0
        print()
        return run(root, lessons, heavy, light, args)
    finally:
        if tmp is not None:
            tmp.cleanup()


def run(root: Path, lessons: int, heavy: int, light: int, args) -> int:
    course = root / "course"
    start = time.perf_counter()
    questions, predicts, size = write_course(course, lessons, args.seed)
    generated = time.perf_counter() - start
    seeds = len(VERIFY_SEEDS)
    simulations = predicts * seeds  # the other kinds have no scenario here: no simulation
    workers = min(os.cpu_count() or 1, 4)
    print(f"course: {lessons} lessons, {questions} questions ({predicts} predict = {predicts / questions:.0%}, "
          f"{questions - predicts} other), {size / 1e6:.1f} MB of Markdown, written in {generated:.2f} s to {course}")
    print(f"verification: {predicts} predict x {seeds} seeds = {simulations:,} simulations per build "
          f"(+ {questions - predicts} one-seed checks of the other kinds); pool of {workers} workers "
          f"(os.cpu_count() = {os.cpu_count()})")
    print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    uninstrument = instrument_build()
    texts = [p.read_text(encoding="utf-8") for p in sorted((course / "lessons").glob("*.md"))]
    base_wall, _, tokens, _ = best_of(light, lambda: parse_all(texts))
    print(f"\nbaseline  markdown-it-py parse of {len(texts)} files ({tokens:,} tokens): "
          f"{base_wall:.3f} s (best of {light})")

    banks = iter(range(1_000_000))
    cache_file = root / "verified.json"  # the user's verification cache, emptied for every full build
    os.environ[verifycache.ENV] = str(cache_file)

    def fresh_bank():
        cache_file.unlink(missing_ok=True)
        path = root / f"bank-{next(banks)}.sqlite"
        t0 = time.perf_counter()
        engine = open_engine(f"sqlite:///{path}")
        fresh_bank.open_time = time.perf_counter() - t0
        return engine

    try:
        full_wall, full_cpu, (engine, report), full_phases = best_of(heavy, lambda e: (e, build(e, course)), setup=fresh_bank)
    except ContentError as err:
        print("the generated course is not valid:", file=sys.stderr)
        for problem in err.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"full      build() into a fresh bank: {full_wall:.2f} s wall, {full_cpu:.2f} s CPU "
          f"(best of {heavy}; open_engine + migrations {fresh_bank.open_time:.3f} s, not included)")
    print(phase_line(full_wall, full_phases))
    print(f"          {report.summary()}")
    n_lessons, n_questions, n_versions = bank_counts(engine)
    ok = (n_lessons, n_questions, n_versions) == (lessons, questions, questions) and report.new_questions == questions
    print(f"          bank holds {n_lessons} lessons, {n_questions} active questions, {n_versions} versions: "
          f"{'OK' if ok else 'MISMATCH'}")

    same_wall, _, same, _ = best_of(light, lambda: build(engine, course))
    print(f"no-change build() again: {same_wall:.3f} s wall (best of {light}): {same.summary()}")

    forced_wall, forced_cpu, forced, forced_phases = best_of(heavy, lambda: build(engine, course, force=True))
    after = bank_counts(engine)
    wrote_nothing = after == (n_lessons, n_questions, n_versions) and not (forced.new_questions or forced.new_versions or forced.retired)
    print(f"forced    build(force=True): {forced_wall:.2f} s wall, {forced_cpu:.2f} s CPU (best of {heavy}): "
          f"{forced.summary()}; {'no new rows' if wrote_nothing else 'ROWS CHANGED'}; every question a "
          "verification-cache hit")
    print(phase_line(forced_wall, forced_phases))
    ok = ok and same.unchanged and wrote_nothing
    engine.dispose()

    print("\nratios")
    print(f"  full build / markdown-it parse:   {full_wall / base_wall:8.1f} x")
    print(f"  no-change rebuild / full build:   {same_wall / full_wall:8.4f} x  ({full_wall / same_wall:.0f} x faster)")
    print(f"  forced rebuild / full build:      {forced_wall / full_wall:8.2f} x")
    print("absolute")
    print(f"  markdown-it parse {base_wall:.3f} s | full build {full_wall:.2f} s | no-change {same_wall:.3f} s "
          f"| forced {forced_wall:.2f} s")
    print(f"  per question (full build): {full_wall / questions * 1e3:.2f} ms wall; "
          f"per simulation (CPU, all workers): {full_cpu / simulations * 1e3:.3f} ms")
    print(f"  simulations per build: {simulations:,}  ({questions} x {predicts / questions:.0%} predict x {seeds} seeds)")
    print(f"  load average after timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    uninstrument()
    if not args.no_profile:
        profiler = cProfile.Profile()
        engine = fresh_bank()
        t0 = time.perf_counter()
        profiler.runcall(build, engine, course)
        print(f"\nprofile 1: full build() under cProfile ({time.perf_counter() - t0:.2f} s); parent process only, "
              f"so the verification shows up as time waiting on the pool; top 15 by cumulative time")
        print(profile_text(profiler, 15))
        engine.dispose()

        sample = root / "sample"
        (sample / "lessons").mkdir(parents=True)
        picked = sorted((course / "lessons").glob("*.md"))[:args.profile_lessons]
        for path in picked:
            (sample / "lessons" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        files = read_content(sample)
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        profiler.runcall(compile_content, files, workers=1, cache=verifycache.VerificationCache(None, shipped=None))
        print(f"\nprofile 2: compile_content(workers=1) of the first {len(picked)} lessons in-process "
              f"({time.perf_counter() - t0:.2f} s under cProfile): what the workers spend their time on; "
              f"top 15 by cumulative time")
        print(profile_text(profiler, 15))
        print("\nsame run, top 15 by own time")
        print(profile_text(profiler, 15, "tottime"))

    print("\nvalid course and bank:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
