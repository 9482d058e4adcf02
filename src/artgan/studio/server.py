"""Starting the studio: pick its folder, build the app, serve it with uvicorn."""

from __future__ import annotations

import errno
import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn

from artgan.errors import ArtganError
from artgan.studio.app import create_app
from artgan.studio.engine import StudioEngine
from artgan.studio.guard import LOOPBACK_NAMES


def studio_folder(source: str | Path, out: str | Path | None = None) -> Path:
    """``RUN/studio`` for a run folder; beside an exported file or checkpoint otherwise."""
    if out is not None:
        return Path(out)
    p = Path(source)
    if p.is_dir():
        return p / "studio"
    if p.parent.name == "checkpoints":
        return p.parent.parent / "studio"
    return p.parent / f"studio-{p.stem}"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_free(host: str, port: int) -> None:
    """A port another program holds is a one-line error here, not uvicorn's log line and
    exit status 3 after the URL was already printed."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ArtganError(f"port {port} on {host} is in use; choose another with "
                                  "--port (0 picks a free one)") from None  # fmt: skip
            # e.g. a port below 1024 without the right, or a host name that does not resolve
            why = exc.strerror or type(exc).__name__
            raise ArtganError(f"cannot listen on {host}:{port}: {why}") from None


def make_server(source: str | Path, host: str = "127.0.0.1", port: int = 7860,
                out: str | Path | None = None, precision: str = "auto",
                allow_remote: bool = False, preview: str | Path | None = None):  # fmt: skip
    """(uvicorn.Server, URL, engine); the caller runs it. A host other than loopback
    needs ``allow_remote`` (then any Host name is served; the token still guards POSTs)."""
    if host not in LOOPBACK_NAMES and not allow_remote:
        raise ArtganError(f"--host {host} would let anyone who can reach this machine use "
                          "the studio; add --allow-remote if that is what you want")  # fmt: skip
    if not 0 <= port <= 65535:
        raise ArtganError(f"--port {port} is not a TCP port (0-65535; 0 picks a free one)")
    if not Path(source).exists():
        raise ArtganError(f"'{source}' is neither a run folder nor a generator file")
    if preview is not None and not Path(preview).exists():
        raise ArtganError(f"--preview '{preview}' is neither a run folder nor a generator file")
    engine = StudioEngine(source, precision, preview)
    hosts = LOOPBACK_NAMES if host in LOOPBACK_NAMES else None
    app = create_app(engine, studio_folder(source, out), allowed_hosts=hosts)
    port = port or free_port(host)
    _check_free(host, port)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    return uvicorn.Server(config), f"http://{host}:{port}/", engine


def serve_in_thread(server) -> threading.Thread:
    """Start ``server`` in a daemon thread and wait until it accepts connections."""
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise ArtganError("the studio server did not start")
        time.sleep(0.05)
    return thread


def run_studio(source: str, host: str, port: int, out: str | None, precision: str,
               allow_remote: bool = False, preview: str | None = None) -> int:  # fmt: skip
    server, url, engine = make_server(source, host, port, out, precision, allow_remote, preview)
    if host not in LOOPBACK_NAMES:
        print(f"artgan: warning: serving on {host}: anyone who can reach this machine can "
              "use the studio and upload files", file=sys.stderr)  # fmt: skip
    by = "" if preview is None else f" by '{preview}' (downloads by the model itself)"
    print(f"artgan studio: {engine.info()['model']} at {engine.lg.resolution}px, previews in "
          f"{engine.fast_rt.precision}{by}; gallery in {studio_folder(source, out)}")  # fmt: skip
    print(f"open {url}  (Ctrl-C stops)", flush=True)
    server.run()
    return 0
