"""The typed trace: causes and notes render to the JSON's exact text, and the JSON reads back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tcptutor import library
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import Cause, CauseKind, Note, Trace, as_note

GOLDEN = Path(__file__).resolve().parent / "golden"
CORE = Path(__file__).resolve().parents[2] / "tcptutor" / "tcp"


@pytest.mark.parametrize("name", library.scenario_names())
def test_every_golden_reads_back_to_the_same_json(name):
    golden = GOLDEN / f"{name}.json"
    # a bulk transfer's golden is only its digest (test_golden.py): read back the trace itself
    text = golden.read_text(encoding="utf-8") if golden.is_file() else json.dumps(
        simulate(library.load_scenario(name)).to_json(), indent=2, ensure_ascii=False) + "\n"
    doc = json.loads(text)
    trace = Trace.from_json(doc)
    assert trace.to_json() == doc
    assert json.dumps(trace.to_json(), indent=2, ensure_ascii=False) + "\n" == text


@pytest.mark.parametrize("name", library.scenario_names())
def test_the_simulator_emits_typed_causes_and_notes(name):
    trace = simulate(library.load_scenario(name))
    for event in trace.events:
        assert isinstance(event.cause, Cause), event
        assert event.note == "" or isinstance(event.note, Note), event
    for record in trace.segments:
        assert record.note == "" or isinstance(record.note, Note), record
    # The reader rebuilds the same typed values.
    again = Trace.from_json(trace.to_json())
    assert [e.cause for e in again.events] == [e.cause for e in trace.events]
    assert [r.note for r in again.segments] == [r.note for r in trace.segments]


@pytest.mark.parametrize(("cause", "text"), [
    (Cause.call("listen"), "call listen"),
    (Cause.call("send", (100,)), "call send 100"),
    (Cause.call("send", (1460, 1460, 20)), "call send 1460 1460 20"),
    (Cause.recv(3), "recv #3"),
    (Cause.timeout("syn"), "timeout syn"),
    (Cause.timeout("time-wait"), "timeout time-wait"),
])
def test_a_cause_renders_its_text_and_reads_back(cause, text):
    assert str(cause) == text
    assert Cause.from_text(text) == cause


def test_cause_kinds_say_what_they_are():
    assert Cause.recv(1).is_recv and not Cause.recv(1).is_call
    assert Cause.call("close").is_call and Cause.call("close").kind is CauseKind.CALL
    assert Cause.timeout("synack").is_timeout and Cause.timeout("synack").timer == "synack"


@pytest.mark.parametrize("text", ["recv 3", "timeout", "wander off", ""])
def test_text_that_is_no_cause_is_refused(text):
    with pytest.raises(ValueError):
        Cause.from_text(text)


@pytest.mark.parametrize("note", list(Note))
def test_a_note_renders_as_its_text_and_equals_the_plain_string(note):
    assert note.text == note.value == str(note)
    assert note == note.value  # a plain-string note from unconverted code still compares equal
    assert as_note(note.value) is note
    assert json.dumps({"note": note}) == json.dumps({"note": note.value})


def test_an_unknown_note_text_stays_a_string():
    assert as_note("something new") == "something new" and not isinstance(as_note("something new"), Note)


def test_every_note_literal_in_the_core_is_a_member():
    """Core code emits Note members; a string literal note= would escape the enum."""
    literals = []
    for path in CORE.rglob("*.py"):
        literals += [(path.name, m) for m in re.findall(r'note=("[^"]*")', path.read_text(encoding="utf-8"))]
    assert literals == []


def test_every_note_the_goldens_carry_is_a_member():
    """The sender's part of a segment note; the network's reason after "; " is no member."""
    seen = set()
    for path in GOLDEN.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        seen |= {str(r.note) for r in Trace.from_json(doc).segments if r.note}
        seen |= {e["note"] for e in doc["events"] if "note" in e}
    assert seen and seen <= {n.value for n in Note}


def test_reset_replies_are_the_notes_of_rsts_to_segments_without_a_place():
    """...and the base rule's reset of an in-window SYN, which takes the same 3.10.7.1 form."""
    assert {n for n in Note if n.is_reset_reply} == {
        Note.NO_CONNECTION, Note.ACK_TO_LISTENER, Note.BAD_ACK_IN_SYN_SENT, Note.BAD_ACK_IN_SYN_RECEIVED,
        Note.RESET_FOR_SYN_IN_WINDOW}


def test_a_record_exposes_the_contract_fields():
    trace = simulate(library.load_scenario("handshake"))
    syn = trace.segment(1)
    doc = syn.to_json()
    assert (syn.src, syn.dst, list(syn.flags), syn.seq, syn.ack, syn.length, syn.win) == (
        doc["src"], doc["dst"], doc["flags"], doc["seq"], doc["ack"], doc["len"], doc["win"])
    assert syn.field("sent_at") == doc["sent_at"] and syn.field("arrived_at") == doc["arrived_at"]
    assert syn.field("len") == doc["len"] and syn.mss == doc["options"]["mss"]


def test_a_trace_of_another_format_is_refused():
    with pytest.raises(ValueError):
        Trace.from_json({"format": "tcptutor.trace/0", "segments": [], "events": []})


def test_a_cause_equals_its_own_text_only():
    assert Cause.recv(3) == "recv #3" and Cause.recv(3) != "recv #4"
    assert Cause.recv(3) != Cause.recv(4) and Cause.call("send", (1,)) != Cause.call("send", (1, 1))
    assert len({Cause.recv(3), Cause.recv(3), Cause.timeout("syn")}) == 2


def test_network_notes_read_back_beside_the_sender_notes():
    """A lost segment's JSON note joins the sender's note and the network's; the reader splits them."""
    from tcptutor.tcp.scenario import parse_scenario

    text = ('steps = ["server listen", "client connect", "client send 100 100 100 100 100 100", "wait 30s"]\n'
            "[net]\nloss = 0.3\nseed = 4\n")
    trace = simulate(parse_scenario(text, "<test>"))
    lost = [r for r in trace.segments if r.network_note]
    assert lost, "the seed loses segments at random"
    again = Trace.from_json(trace.to_json())
    assert again.to_json() == trace.to_json()
    assert [(r.note, r.network_note) for r in again.segments] == [(r.note, r.network_note) for r in trace.segments]
    assert all(r.note_text == "; ".join(filter(None, (str(r.note), r.network_note))) for r in trace.segments)


def test_no_module_matches_note_or_cause_text():
    """Consumers compare Note members and read Cause fields; only tcp/trace.py holds their text."""
    import io
    import tokenize

    package = CORE.parent
    words = {n.value for n in Note} - {"abort"}  # "abort" is also a call's verb
    texts = {repr(w) for w in words} | {f'"{w}"' for w in words}
    found = []
    for path in package.rglob("*.py"):
        if path == CORE / "trace.py":
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type != tokenize.STRING or tok.string.endswith(('"""', "'''")):
                continue  # docstrings may show the text
            if (tok.string in texts or "recv #" in tok.string
                                                or tok.string.strip("\"'f").startswith(("timeout ", "call "))):
                found.append((str(path.relative_to(package)), tok.start[0], tok.string))
    assert found == []
