"""``artgan`` command line: a thin layer over the library.

:data:`COMMANDS` is the one list of command families; each module adds its sub-commands.
Every command turns user mistakes (``ArtganError``) into one ``artgan: error: …`` line
and exit status 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from artgan import __version__
from artgan.cli import (
    augment,
    distill,
    doctor,
    evaluate,
    experiments,
    generate,
    steer,
    studio,
    train,
)
from artgan.errors import ArtganError, Interrupted

# Every command family, in the order `artgan --help` lists them; each module's
# add_parsers(sub) adds its sub-commands (train; augment-preview; generate, export;
# traverse, interpolate, project; distill; studio; evaluate; compare, ablate; doctor).
COMMANDS = (train, augment, generate, steer, distill, studio, evaluate, experiments, doctor)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="artgan", description="AI art creation with GANs (CPU first, offline)."
    )
    p.add_argument("--version", action="version", version=f"artgan {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parsers(sub)
    return p


def _format_warning(message, category, filename, lineno, line=None) -> str:
    # Users see "artgan: warning: …", not a source file and line number.
    return f"artgan: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _format_warning
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Interrupted as exc:
        print(f"artgan: interrupted: {exc}", file=sys.stderr)
        return 130
    except ArtganError as exc:
        print(f"artgan: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # permissions, a vanished file: still one line, no traceback
        where = f": '{exc.filename}'" if exc.filename else ""
        print(f"artgan: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("artgan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
