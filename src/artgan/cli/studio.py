"""``artgan studio``: the interactive web app."""

from __future__ import annotations

import argparse

from artgan.cli.common import PRECISIONS
from artgan.runtime import setup_runtime


def cmd_studio(a: argparse.Namespace) -> int:
    # The web stack (fastapi, uvicorn) loads only for this command.
    from artgan.studio.server import run_studio

    setup_runtime("cpu", "fp32", a.threads)  # thread cap
    return run_studio(a.source, a.host, a.port, a.out, a.precision, a.allow_remote, a.preview)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "studio",
        help="interactive web app: sliders for the codes, uploads, GIFs, a gallery",
        description="Serve a local web page for a trained run (or exported generator): "
        "generate from seeds, steer the codes with sliders, project an uploaded painting, "
        "interpolate kept images into a GIF, download PNGs that `artgan generate` reproduces.",
    )
    s.add_argument(
        "source",
        metavar="RUN",
        help="run folder, checkpoint, exported file or .onnx export (onnxruntime)",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    s.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback (the studio is then open to the network)",
    )
    s.add_argument("--port", type=int, default=7860, help="port (0: any free port)")
    s.add_argument("--out", help="studio folder for the gallery (default RUN/studio)")
    s.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="preview precision (auto: the faster; downloads are always exact)",
    )
    s.add_argument(
        "--preview",
        metavar="GENERATOR",
        help="draw slider previews with this faster generator of the same latent layout "
        "(an `artgan distill` student); downloads and kept images stay the model's own",
    )
    s.add_argument("--threads", type=int, default=0, help="CPU threads (default: cores, ≤ 8)")
    s.set_defaults(func=cmd_studio)
