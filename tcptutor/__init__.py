"""tcptutor: a quiz and explanation engine for TCP coursework."""

__version__ = "0.1.0"
