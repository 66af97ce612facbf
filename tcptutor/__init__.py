"""tcptutor: a quiz and explanation engine for TCP coursework."""

__version__ = "0.1.0"  # the package version too: pyproject.toml reads it from here
