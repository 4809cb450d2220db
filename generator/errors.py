"""The project's own error type: every reader failure is reported as a SahifaError."""

from __future__ import annotations


class SahifaError(Exception):
    """A problem with one input file (or the configuration), with a person-readable reason.

    ``path`` names the file; ``reason`` says what is wrong with it in plain words.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self):
        # Errors travel back from worker processes; rebuild them from both parts.
        return (type(self), (self.path, self.reason))
