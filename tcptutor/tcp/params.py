"""The parameter types the simulator core takes: endpoints, network, steps, a scenario.

Plain frozen values, whoever builds them: the scenario file parser (tcp/scenario.py), a
question's variant (questions/variants.py) or a test. Durations are whole microseconds so
that every clock comparison in the simulator is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENDPOINTS = ("client", "server")
SEQ_SPACE = 2**32  # sequence numbers are modulo 2^32 (RFC 9293 3.4)
MICROS = 1_000_000  # microseconds in a second: every duration here is whole microseconds


@dataclass(frozen=True)
class EndpointParams:
    """[client] / [server]: None means "not given" (ISN then comes from the seed, syncookies
    from the profile)."""

    isn: int | None = None
    window: int = 65535
    mss: int = 1460
    backlog: int = 128
    syncookies: bool | None = None
    cc: str | None = None  # congestion control by name (tcp/cc/); None: the profile's
    iw: int | None = None  # initial window in segments; None: the profile's
    # False: received data waits in a buffer of `window` bytes until `E read` (RFC 9293 3.8.6)
    autoread: bool = True
    # Keep-alive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): off unless asked for; the defaults are
    # RFC 1122's two hours and Linux's tcp_keepalive_intvl (75 s) and tcp_keepalive_probes (9).
    keepalive: bool = False
    keepalive_idle: int = 7200 * MICROS  # microseconds with nothing received before the first probe
    keepalive_interval: int = 75 * MICROS  # microseconds between unanswered probes
    keepalive_count: int = 9  # unanswered probes before the connection is reset
    nagle: bool = False  # RFC 9293 3.7.4; False is an application that set TCP_NODELAY
    delayed_ack: bool = False  # RFC 9293 3.8.6.3: delay ACKs the way the profile does


@dataclass(frozen=True)
class NetParams:
    """[net]: a value left as None takes the profile's default (see tcp/profiles.py)."""

    profile: str = "rfc9293"
    seed: int = 0
    latency: int = 10_000  # microseconds, one way
    rto: int | None = None  # microseconds, initial retransmission timeout
    msl: int | None = None  # microseconds
    syn_retries: int | None = None
    synack_retries: int | None = None
    loss: float = 0.0  # probability that the network loses a segment, drawn from seed
    rate: int | None = None  # bottleneck bits per second, each direction; None: infinitely fast
    queue: int | None = None  # drop-tail queue at the bottleneck, in segments; None: unbounded
    rfc5961: bool | None = None  # RFC 5961's reset and SYN checks; None: the profile's (linux: on)


@dataclass(frozen=True)
class Call:
    """One RFC 9293 user call: listen, connect, send (with segment sizes), read (one size,
    none for "all"), close, abort."""

    endpoint: str
    verb: str
    sizes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Calls:
    """One or more calls at the same instant ("client close & server close")."""

    calls: tuple[Call, ...]


@dataclass(frozen=True)
class Drop:
    """Lose the nth segment that matches from now: direction optional, every listed flag set.

    The pseudo-flag DATA matches a segment that carries payload. `drop next` is nth = 1.
    """

    src: str | None = None
    dst: str | None = None
    flags: frozenset[str] = frozenset()
    nth: int = 1


@dataclass(frozen=True)
class Delay:
    """The nth matching segment from now arrives `by` microseconds later than latency makes it."""

    src: str | None = None
    dst: str | None = None
    flags: frozenset[str] = frozenset()
    nth: int = 1
    by: int = 0  # microseconds


@dataclass(frozen=True)
class Duplicate:
    """The network delivers the nth matching segment from now twice."""

    src: str | None = None
    dst: str | None = None
    flags: frozenset[str] = frozenset()
    nth: int = 1


NetworkRule = Drop | Delay | Duplicate


@dataclass(frozen=True)
class Vanish:
    """The endpoint's host goes silent: it sends nothing, nothing reaches it, its timers stop."""

    endpoint: str


@dataclass(frozen=True)
class Flood:
    """N SYNs from distinct spoofed sources that never answer."""

    count: int


@dataclass(frozen=True)
class Wait:
    """Let time pass: timers fire and segments in flight arrive."""

    duration: int  # microseconds


Action = Calls | Drop | Delay | Duplicate | Vanish | Flood | Wait


@dataclass(frozen=True)
class Step:
    """One step as written (text, line) and the action it stands for."""

    text: str
    line: int  # 1-based line of the step's string in the file (0 when built in code)
    action: Action


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation needs: the steps and each side's and the network's params."""

    steps: tuple[Step, ...]
    title: str = ""
    client: EndpointParams = field(default_factory=EndpointParams)
    server: EndpointParams = field(default_factory=EndpointParams)
    net: NetParams = field(default_factory=NetParams)
    path: str = "<scenario>"
