"""Finding image files in a folder and decoding them into square RGB arrays.

Everything here is pure PIL + numpy and works on one file at a time; batching and caching
live in :mod:`artgan.data.cache`.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from artgan.errors import ArtganError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
FITS = ("crop", "pad")

# Colour transparent pixels are composited over; white matches how viewers show them.
_BACKGROUND = (255, 255, 255)
# Colour of the bars added by fit="pad"; black reads as a frame and is what most
# letterboxing tools use.
_PAD_COLOUR = (0, 0, 0)
# Resize first by an integer box reduction, then Lanczos for the last factor < 3:
# near-identical quality to a full Lanczos at a fraction of the cost on big scans.
_REDUCING_GAP = 3.0


MAX_PIXELS = 100_000_000  # larger than any painting scan we expect, ~300 MB decoded


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith(".")


def scan_folder(root: str | Path) -> tuple[list[str], list[str]]:
    """List the image files under ``root`` and derive class names from its subfolders.

    Returns ``(files, class_names)``: ``files`` are paths relative to ``root`` in posix
    form, sorted; ``class_names`` are the sorted first-level subfolders that contain images
    (at any depth). When images sit directly in ``root`` the set is unlabelled and
    ``class_names`` is empty, even if subfolders exist too, because a root-level image has
    no class and a partly labelled set would be misleading. Hidden files and folders (name
    starting with ".") are ignored.
    """
    root = Path(root)
    if not root.exists():
        raise ArtganError(f"data folder '{root}' does not exist")
    if not root.is_dir():
        raise ArtganError(f"data folder '{root}' is not a folder")

    files: list[str] = []
    odd: list[str] = []  # entries named like images that are not readable regular files
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        # Pruning in place stops os.walk from descending into hidden folders.
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel_dir = Path(dirpath).relative_to(root)
        for name in filenames:
            if not _is_image(name):
                continue
            rel = (rel_dir / name).as_posix()
            why = _not_a_regular_file(Path(dirpath) / name)
            if why is None:
                files.append(rel)
            else:
                odd.append(f"'{rel}' ({why})")
    if odd:
        more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
        warnings.warn(f"data folder '{root}': skipped {len(odd)} entries that are not "
                      f"regular files: {', '.join(odd[:3])}{more}", stacklevel=2)  # fmt: skip
    if not files:
        shown = ", ".join(IMAGE_EXTENSIONS[:3])
        raise ArtganError(f"data folder '{root}' contains no image files (looked for {shown}, ...)")
    files.sort()

    top_level = {f.split("/", 1)[0] for f in files if "/" in f}
    has_root_images = any("/" not in f for f in files)
    class_names = [] if has_root_images else sorted(top_level)
    return files, class_names


def _not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as an image file, or None. Only regular files are
    opened: a FIFO would block the loader forever, a device could be endless."""
    try:
        st = os.stat(path)  # follows symlinks: a dangling one or a loop raises
    except OSError as exc:
        if path.is_symlink():
            return "a symlink loop" if exc.errno == errno.ELOOP else "a dangling symlink"
        return exc.strerror or "cannot be read"
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISFIFO(st.st_mode):
        return "a FIFO"
    return "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"


def _to_rgb(im: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparency is composited over white."""
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if has_alpha:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):
        # PIL's own conversion clips 16/32-bit values at 255 (mostly white), so rescale.
        arr = np.asarray(im).astype(np.float64)
        if im.mode.startswith("I;16") or (im.mode == "I" and arr.max(initial=0) > 255):
            arr = arr / 257.0
        elif im.mode == "F" and arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        grey = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if im.mode == "RGB":
        return im
    if im.mode == "1":
        im = im.convert("L")
    try:
        return im.convert("RGB")
    except ValueError:
        # A few exotic modes (e.g. LAB) have no direct route to RGB in PIL.
        return Image.fromarray(np.asarray(im)[..., :3].astype(np.uint8), "RGB")


def load_image(path: str | Path, resolution: int, fit: str = "crop") -> np.ndarray:
    """Decode one image file into a square ``[resolution, resolution, 3] uint8`` array.

    EXIF orientation is honoured, animated files contribute their first frame, and any
    colour mode is converted to RGB (transparency composited over white).

    ``fit="crop"`` scales the shorter side to ``resolution`` and keeps the centre square;
    ``fit="pad"`` scales the longer side to ``resolution`` and centres the picture on black
    bars, so nothing is cut off.

    Raises whatever PIL raises on unreadable files (``OSError`` and friends); callers that
    process many files count those failures instead of stopping.
    """
    if fit not in FITS:
        raise ArtganError(f"fit must be 'crop' or 'pad', got {fit!r}")
    with Image.open(path) as im:
        w, h = im.size
        # A header can claim any size; refuse before decoding allocates it (memory stays
        # bounded whatever a damaged or hostile file says).
        if w * h > MAX_PIXELS:
            raise ValueError(f"{w}x{h} is more than {MAX_PIXELS // 10**6} megapixels")
        # JPEG can decode at 1/2, 1/4 or 1/8 scale almost for free; ask for at least twice
        # the final size so the Lanczos step below still has detail to antialias.
        scale = resolution / (min(w, h) if fit == "crop" else max(w, h))
        want = (max(1, math.ceil(w * scale * 2)), max(1, math.ceil(h * scale * 2)))
        if im.format == "JPEG" and want[0] * 2 <= w and want[1] * 2 <= h:
            im.draft("RGB", want)
        # Opening leaves an animated file on frame 0; load() decodes just that frame.
        im.load()
        # A malformed EXIF block should not cost the whole picture: keep it unrotated.
        with contextlib.suppress(Exception):
            im = ImageOps.exif_transpose(im)
        im = _to_rgb(im)
    return _fit_square(im, resolution, fit)


def _fit_square(im: Image.Image, resolution: int, fit: str) -> np.ndarray:
    """Resize an RGB image and crop or pad it to ``[resolution, resolution, 3] uint8``."""
    w, h = im.size
    if fit == "crop":
        scale = resolution / min(w, h)
        size = (max(resolution, round(w * scale)), max(resolution, round(h * scale)))
    else:
        scale = resolution / max(w, h)
        size = (
            max(1, min(resolution, round(w * scale))),
            max(1, min(resolution, round(h * scale))),
        )
    if size != (w, h):
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
    if fit == "crop":
        left = (size[0] - resolution) // 2
        top = (size[1] - resolution) // 2
        im = im.crop((left, top, left + resolution, top + resolution))
    elif size != (resolution, resolution):
        canvas = Image.new("RGB", (resolution, resolution), _PAD_COLOUR)
        canvas.paste(im, ((resolution - size[0]) // 2, (resolution - size[1]) // 2))
        im = canvas
    out = np.asarray(im, dtype=np.uint8)
    # np.asarray on a PIL image can be read-only; callers write into batches, so copy once.
    return np.array(out, copy=True) if not out.flags.writeable else out
