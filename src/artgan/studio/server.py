"""Starting the studio: pick its folder, build the app, serve it with uvicorn."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn

from artgan.errors import ArtganError
from artgan.studio.app import create_app
from artgan.studio.engine import StudioEngine

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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


def make_server(source: str | Path, host: str = "127.0.0.1", port: int = 7860,
                out: str | Path | None = None, precision: str = "auto"):  # fmt: skip
    """(uvicorn.Server, URL, engine); the caller runs it."""
    if not Path(source).exists():
        raise ArtganError(f"'{source}' is neither a run folder nor a generator file")
    engine = StudioEngine(source, precision)
    app = create_app(engine, studio_folder(source, out))
    port = port or free_port(host)
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


def run_studio(source: str, host: str, port: int, out: str | None, precision: str) -> int:
    if host not in LOOPBACK:
        print(f"artgan: warning: serving on {host}: anyone who can reach this machine can "
              "use the studio and upload files", file=sys.stderr)  # fmt: skip
    server, url, engine = make_server(source, host, port, out, precision)
    print(f"artgan studio: {engine.info()['model']} at {engine.lg.resolution}px, previews in "
          f"{engine.fast_rt.precision}; gallery in {studio_folder(source, out)}")  # fmt: skip
    print(f"open {url}  (Ctrl-C stops)", flush=True)
    server.run()
    return 0
