"""Runs a scenario: two hosts, a deterministic network (tcp/network.py) and clock, and a trace.

Rules (contract): after every step but `drop`, `delay` and `duplicate` the network settles:
segments in flight are delivered when the network says they arrive, with every immediate
reply, until nothing is in flight. Timers fire only when their deadline falls inside a
settle or a `wait`; at the same instant a timer fires before an arrival (linux: except a
half-open entry's SYN-ACK timer, see Host.timer_yields_to_arrival). Clock values are
whole microseconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ..errors import ScenarioError, SimulationError, UserCallError
from . import limits
from .host import Host, Outcome
from .network import Network
from .params import Calls, Delay, Drop, Duplicate, Flood, Scenario, Step, Vanish, Wait
from .profiles import Profile, resolve
from .segment import Segment
from .tcb import snapshot
from .trace import Cause, Note, SegmentRecord, Trace, TraceEvent, seconds

NAMED = ("client", "server")
MAX_EVENTS_PER_STEP = 2_000_000  # a runaway guard, far above any teaching scenario


class Simulator:
    """`observe`, if given, is called with the simulator after every call, arrival and timer:
    tests use it to check invariants (SND.UNA =< SND.NXT, ...) at every instant."""

    def __init__(self, scenario: Scenario, observe: Callable[["Simulator"], None] | None = None):
        self.scenario = scenario
        self.observe = observe
        self.profile: Profile = resolve(scenario.net)
        self.rng = random.Random(scenario.net.seed)
        # Always draw both ISNs so that giving one never changes the other.
        drawn = {name: self.rng.getrandbits(32) for name in NAMED}
        self.isn = {
            "client": drawn["client"] if scenario.client.isn is None else scenario.client.isn,
            "server": drawn["server"] if scenario.server.isn is None else scenario.server.isn,
        }
        self.hosts = {
            "client": Host("client", scenario.client, self.profile, self.isn["client"], self.rng),
            "server": Host("server", scenario.server, self.profile, self.isn["server"], self.rng),
        }
        self.now = 0
        self.network = Network(self.profile.latency, scenario.net)
        self.records: list[SegmentRecord] = []
        self.events: list[TraceEvent] = []
        self.spoofs = 0
        self._budget = 0
        self._step: Step | None = None

    # ------------------------------------------------------------------ running

    def run(self) -> Trace:
        for step in self.scenario.steps:
            self._budget = MAX_EVENTS_PER_STEP
            self._step = step
            try:
                self._run_step(step)
            except UserCallError as err:
                raise ScenarioError(
                    self.scenario.path, step.line, f'step "{step.text}": {err} ({err.endpoint} is {err.state})',
                ) from None
        return self._trace()

    def _run_step(self, step: Step) -> None:
        action = step.action
        if isinstance(action, (Drop, Delay, Duplicate)):
            self.network.add_rule(action)
            return
        if isinstance(action, Vanish):
            self._vanish(action.endpoint)
            return
        if isinstance(action, Wait):
            end = self.now + action.duration
            while self._process_next(end):
                pass
            self.now = end
        elif isinstance(action, Flood):
            self._flood(action.count)
        elif isinstance(action, Calls):
            for call in action.calls:
                try:
                    self._call(call.endpoint, call.verb, call.sizes)
                except UserCallError as err:
                    err.endpoint = call.endpoint
                    raise
        self._settle()

    def _refuse(self, message: str) -> ScenarioError:
        step = self._step
        return ScenarioError(self.scenario.path, step.line if step else None,
                             f'step "{step.text if step else ""}": {message}')

    def _vanish(self, endpoint: str) -> None:
        """E's host goes silent: its timers stop (it is skipped in _process_next), it makes no
        more calls, and what is in flight to it is lost (the network marks those records)."""
        if endpoint in self.network.vanished:
            raise self._refuse(f"{endpoint} has already vanished")
        self.network.vanish(endpoint)

    def _call(self, endpoint: str, verb: str, sizes: tuple[int, ...]) -> None:
        if endpoint in self.network.vanished:
            raise self._refuse(f"{endpoint} has vanished: it makes no more calls")
        peer = "server" if endpoint == "client" else "client"
        outcome = self.hosts[endpoint].call(verb, peer, sizes, self.now)
        self._record(endpoint, outcome, Cause.call(verb, sizes))

    def _flood(self, count: int) -> None:
        """N SYNs from spoofed sources, all at this instant; the sources never answer."""
        for _ in range(count):
            self.spoofs += 1
            syn = Segment(f"spoof-{self.spoofs}", "server", self.rng.getrandbits(32), 0,
                          frozenset({"SYN"}), win=64240, mss=1460, note=Note.SPOOFED_SOURCE)
            self._put_on_wire(syn)

    def _settle(self) -> None:
        while self.network.in_flight():
            self._process_next(None)

    def _process_next(self, limit: int | None) -> bool:
        """Handle the earliest timer or arrival at or before `limit`; False when there is none."""
        self._budget -= 1
        if self._budget < 0:
            raise SimulationError(f"the network did not settle after {MAX_EVENTS_PER_STEP} events")
        arrival = self.network.next_arrival()
        timer = None
        for name, host in self.hosts.items():
            if name in self.network.vanished:
                continue  # a vanished host's timers never fire
            due = host.next_deadline()
            if due is not None and (timer is None or due[0] < timer[0]):
                timer = (due[0], name, due[1])
        timer_first = timer is not None and (
            arrival is None or timer[0] < arrival
            or (timer[0] == arrival and not self.hosts[timer[1]].timer_yields_to_arrival(timer[2]))
        )
        if timer_first and (limit is None or timer[0] <= limit):
            self.now = max(self.now, timer[0])
            self._fire(timer[1], timer[2])
            return True
        if arrival is not None and (limit is None or arrival <= limit):
            at, record = self.network.pop_arrival()
            self.now = at
            self._deliver(record)
            return True
        return False

    def _fire(self, host_name: str, peer: str) -> None:
        outcome, kind, timeout = self.hosts[host_name].fire_timer(peer, self.now)
        events = self._record(host_name, outcome, Cause.timeout(kind))
        for event in events[:1]:
            event.timer = {"kind": kind, "timeout": seconds(timeout)}

    def _deliver(self, record: SegmentRecord) -> None:
        seg = record.segment
        host = self.hosts.get(seg.dst)
        if host is None:
            return  # a spoofed source: it never answers
        outcome = host.receive(seg, self.now)
        self._record(seg.dst, outcome, Cause.recv(record.n))

    # ------------------------------------------------------------------ wire and trace

    def _put_on_wire(self, seg: Segment) -> SegmentRecord:
        n = len(self.records) + 1
        if n > limits.MAX_SEGMENTS:  # what parsing cannot foresee: retransmissions, replies to floods
            raise self._refuse(f"more than {limits.MAX_SEGMENTS} segments in a scenario ({limits.TEACHING})")
        record = SegmentRecord(n, seg, self.now, "delivered", None)
        self.network.send(record, self.now)
        self.records.append(record)
        return record

    def _record(self, host_name: str, outcome: Outcome, cause: Cause) -> list[TraceEvent]:
        named = outcome.peer in NAMED
        endpoint = host_name if named else "listener"
        peer = None if named else outcome.peer
        sent = [self._put_on_wire(s).n for s in outcome.sent]
        events = []
        state = outcome.before
        for move in outcome.moves:
            events.append(TraceEvent(
                self.now, endpoint, cause, move.transition.source.value, move.transition.target.value,
                error=move.error, rfc=move.transition.rfc, peer=peer,
            ))
            state = move.transition.target
        if not events:
            events.append(TraceEvent(self.now, endpoint, cause, state.value, state.value, peer=peer))
        # The TCB after the event (contract v2 `tcb`); one outcome's state changes happen at
        # one instant from one cause, so they share the values it left. No live connection
        # (LISTEN, CLOSED): no TCB (RFC 9293 3.10: CLOSED "delete the TCB").
        conn = self.hosts[host_name].conns.get(outcome.peer)
        if conn is not None:
            tcb = snapshot(conn)
            for event in events:
                event.tcb = tcb
        events[-1].sent = sent
        if outcome.note:
            events[-1].note = outcome.note
        self.events.extend(events)
        if self.observe is not None:
            self.observe(self)
        return events

    def _trace(self) -> Trace:
        p, sc = self.profile, self.scenario
        params = {
            "client": {"isn": self.isn["client"], "window": sc.client.window, "mss": sc.client.mss},
            "server": {
                "isn": self.isn["server"], "window": sc.server.window, "mss": sc.server.mss,
                "backlog": sc.server.backlog, "syncookies": self.hosts["server"].syncookies,
            },
            "net": {
                "profile": p.name, "seed": sc.net.seed, "latency": seconds(p.latency),
                "rto": seconds(p.rto_initial), "rto_min": seconds(p.rto_min), "msl": seconds(p.msl),
                "time_wait": seconds(p.time_wait), "syn_retries": p.syn_retries,
                "synack_retries": p.synack_retries,
            },
        }
        # The network's v2 keys appear only when set, so v1 traces keep their exact bytes.
        if sc.net.loss:
            params["net"]["loss"] = sc.net.loss
        if sc.net.rate is not None:
            params["net"]["rate"] = sc.net.rate
        if sc.net.queue is not None:
            params["net"]["queue"] = sc.net.queue
        if sc.net.rfc5961 is not None:
            params["net"]["rfc5961"] = sc.net.rfc5961
        for name, endpoint in (("client", sc.client), ("server", sc.server)):
            for key in ("nagle", "delayed_ack"):  # v2 endpoint keys, shown only when on
                if getattr(endpoint, key):
                    params[name][key] = True
        client, server = self.hosts["client"], self.hosts["server"]
        final = {"client": client.view("server").value, "server": server.view("client").value}
        delivered, written = {}, {}
        for name, host in self.hosts.items():
            peer = "server" if name == "client" else "client"
            conn = host.connection_with(peer)
            delivered[name] = list(conn.delivered) if conn else []
            written[name] = conn.written if conn else 0
        return Trace(sc.title, params, self.records, self.events, final, delivered, written)


def simulate(scenario: Scenario) -> Trace:
    """Simulate a scenario from start to end (pure: same scenario, same trace)."""
    return Simulator(scenario).run()

