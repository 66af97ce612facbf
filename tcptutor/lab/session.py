"""`tcptutor lab`: one scenario on the kernel of this machine and in the simulator, compared.

The kernel plays one endpoint in a fresh private network namespace, against a live tcptutor
Host on a TUN device (tun.py): the harness is the network, so the scenario's drops, delays,
duplicates and floods happen to real packets. Then the simulator runs the same scenario
with the ISNs the kernel run used, so both show the same absolute numbers, and the two are
paired segment by segment (compare.align).

The namespace holds the TUN device and every sysctl the run sets; deleting it removes them
all. It is deleted when the run ends, fails, is interrupted (KeyboardInterrupt, SIGTERM) or
the process exits (atexit).
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
from dataclasses import dataclass

from ..errors import TcptutorError
from ..i18n import _
from ..tcp.scenario import parse_scenario
from ..tcp.simulator import simulate
from ..tcp.trace import Trace
from . import compare, tun

ENDPOINTS = ("client", "server")


class LabError(TcptutorError):
    """The lab cannot run here or cannot run this scenario: one line for the user, exit 2."""

    exit_code = 2


@dataclass(frozen=True)
class LabRun:
    scenario_path: str
    kernel: str  # the endpoint the kernel played: client, server or both
    profile: str  # the simulator profile compared against
    real: dict  # the harness's result: segments (with "raw"), states, final, sysctl, ...
    trace: Trace  # the simulation with the kernel run's ISNs
    pairs: list[compare.Pair]
    isns: dict[str, int]

    @property
    def agree(self) -> bool:
        return (all(p.status in (compare.SAME, compare.SLACK) for p in self.pairs)
                and self.real["final"] == self.trace.final)

    def to_json(self) -> dict:
        """The shape of `tcptutor lab --json` (docs/lab-json.md)."""
        return {
            "format": "tcptutor-lab/1", "scenario": self.scenario_path, "kernel": self.kernel,
            "profile": self.profile, "isns": self.isns, "agree": self.agree,
            "sysctl": self.real.get("sysctl", {}),
            "kernel_run": {"segments": [{k: v for k, v in s.items() if k != "raw"} for s in self.real["segments"]],
                           "states": self.real.get("states", []), "final": self.real["final"]},
            "simulator": self.trace.to_json(),
            "pairs": [{"kernel": p.kernel and {k: v for k, v in p.kernel.items() if k != "raw"},
                       "simulator": p.sim, "status": p.status, "reason": p.reason} for p in self.pairs],
        }


def available() -> str | None:
    """None if the lab can run here, else what it needs (one line)."""
    why = tun.tun_available()
    return None if why is None else _("tcptutor lab runs the real Linux TCP stack and {why}").format(why=why)


def first_isns(segments: list[dict]) -> dict[str, int]:
    """Each endpoint's ISN in a run: the seq of its first SYN."""
    isns: dict[str, int] = {}
    for s in segments:
        if "SYN" in s["flags"] and s["src"] in ENDPOINTS:
            isns.setdefault(s["src"], s["seq"])
    return isns


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM ends the run as Ctrl-C does: through the finally below


def capture(run: LabRun) -> bytes:
    """The kernel run's packets as pcapng: the bytes the kernel wrote to the TUN device and
    those the harness wrote back, each at the moment it went on the wire (raw IPv4, as the
    TUN carries it). A packet the harness lost says so in its comment."""
    from ..export import pcap

    role = "both endpoints" if run.kernel == "both" else f"the {run.kernel}"
    blocks = [pcap.section_header(f"tcptutor lab: {run.scenario_path}, the kernel as {role}"),
              pcap.interface_description()]
    for seg in run.real["segments"]:
        if "raw" not in seg:
            continue
        who = f"the kernel ({seg['src']})" if run.kernel in (seg["src"], "both") else f"tcptutor ({seg['src']})"
        note = f"sent by {who}" + ("; lost by the harness: it never arrived" if seg["fate"] == "dropped" else "")
        blocks.append(pcap.enhanced_packet(bytes.fromhex(seg["raw"]), round(seg["t"] * 1_000_000), note))
    return b"".join(blocks)


def duration(scenario) -> float:
    """Seconds the kernel run takes: the simulated run's length, its last wait included (the
    harness runs the steps in real time)."""
    sim, _ = tun.simulated_schedule(scenario)
    return sim.now / 1_000_000 + tun.MARGIN


def run_lab(text: str, path: str, kernel: str = "client", profile: str = "linux",
            max_time: float = 120.0) -> LabRun:
    """Run the scenario `text` with the kernel as `kernel` ("client", "server" or "both")
    and compare it with the simulator."""
    from .pair import PairRun

    if kernel not in (*ENDPOINTS, "both"):
        raise LabError(_("--kernel must be client, server or both, not {kernel}").format(kernel=repr(kernel)))
    scenario = parse_scenario(text, path)  # ScenarioError: the caller reports file:line
    adjust = {"profile": profile, "delayed_ack": True}
    scenario = tun.adjusted(scenario, kernel, adjust)
    if any(type(step.action).__name__ == "Flood" for step in scenario.steps) and kernel != "server":
        raise LabError(_("a scenario with flood needs the kernel as the server (--kernel server)"))
    seconds = duration(scenario)
    if seconds > max_time:
        raise LabError(_("{path}: this scenario runs for {seconds:.0f} s, and the kernel takes as long in real time; "
                         "allow it with --max-time {allow}").format(path=path, seconds=seconds, allow=int(seconds) + 10))
    run = (PairRun(text, record=True, adjust=adjust) if kernel == "both"
           else tun.KernelRun(text, kernel, record=True, adjust=adjust))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        run.start()
        run.wait_ready()
        run.go()
        real = run.result(timeout=seconds + 60)
    except RuntimeError as err:
        raise LabError(_("the kernel run failed: {error}").format(error=str(err).splitlines()[0])) from None
    except subprocess.TimeoutExpired:
        raise LabError(_("the kernel run did not finish within {seconds:.0f} s").format(seconds=seconds + 60)) from None
    finally:
        run.cancel()
        signal.signal(signal.SIGTERM, previous)
    isns = first_isns(real["segments"])
    sides = {side: dataclasses.replace(getattr(scenario, side), isn=isns[side]) for side in isns}
    trace = simulate(dataclasses.replace(scenario, **sides))
    acts = real.get("steps", []), real.get("deliveries", [])
    late = compare.discount_lateness(real["segments"], *acts)
    late = [{**seg, "n": i + 1} for i, seg in enumerate(late)]  # the kernel run's own numbering
    # the state changes on the same clock as the segments: less the harness's lateness
    real = {**real, "states": compare.discount_lateness(real.get("states", []), *acts)}
    pairs = compare.align(late, trace.to_json()["segments"], kernel)
    return LabRun(path, kernel, profile, real, trace, pairs, isns)
