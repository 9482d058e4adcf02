"""The one exception type users see.

Library code raises :class:`ArtganError` for anything caused by the user's input or
environment (bad folder, bad config, corrupt checkpoint, full disk). The CLI prints its
message on one line and exits with status 2, never a traceback.
"""

from __future__ import annotations


class ArtganError(Exception):
    """A problem the user can fix; the message says what and how."""


class Interrupted(ArtganError):
    """The user stopped the work (Ctrl-C) and it was wound down cleanly (e.g. a
    checkpoint saved); the CLI exits with 130, the shell convention for SIGINT.
    ``where`` says where it stopped without the how-to-continue hint, for a caller (an
    experiment) that gives its own."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where or message
