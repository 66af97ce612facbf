"""Every error tcptutor raises on purpose derives from TcptutorError.

The CLI turns these into one line on stderr and the error's exit code, never a traceback.
"""


class TcptutorError(Exception):
    """Root of tcptutor's own errors."""

    exit_code = 1


class InputError(TcptutorError):
    """Bad input from a file the user gave us (scenario, lesson, CSV): exit code 2."""

    exit_code = 2

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class ScenarioError(InputError):
    """A scenario file that cannot be parsed, or a step the state machine refuses."""


class UserCallError(TcptutorError):
    """An RFC 9293 user call refused in the current state, worded as RFC 9293 words it.

    Raised inside the pure simulator; the scenario runner adds the step and its line.
    """

    def __init__(self, message: str, state: str, endpoint: str = "the endpoint"):
        self.message, self.state, self.endpoint = message, state, endpoint
        super().__init__(f"error: {message}")


class SimulationError(TcptutorError):
    """The simulator could not finish (e.g. the network never settled): a bug or a runaway scenario."""
