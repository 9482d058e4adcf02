"""Ctrl-C during training: the first one asks the loop to finish its step and checkpoint,
a second one aborts at once (``KeyboardInterrupt``, no checkpoint)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

from tqdm.auto import tqdm


class StopRequest:
    """A flag set by the first SIGINT while :meth:`installed` is active."""

    def __init__(self) -> None:
        self.requested = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """SIGINT handled as above inside the block (left alone off the main thread)."""

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            tqdm.write(
                "interrupt: finishing this step and saving a checkpoint… "
                "(Ctrl-C again to abort at once, without one)"
            )

        try:
            previous = signal.signal(signal.SIGINT, handler)
        except ValueError:  # not in the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
