"""Fuzzing the image loader with hypothesis: mutated real JPEG/PNG/WebP/GIF bytes (bytes
overwritten, cut off, inserted) either decode to a ``[R, R, 3] uint8`` image or raise an
ordinary exception that the folder loader turns into a skipped file with its reason.
Never a crash, a hang (bounded examples, a deadline) or unbounded memory (a header
claiming a huge size is refused before decoding)."""

from __future__ import annotations

import io
import struct
import tempfile
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from artgan.data import load_folder
from artgan.data.images import MAX_PIXELS, load_image
from helpers import ARTWORKS

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def _seed_picture() -> np.ndarray:
    """A real painting where the data is beside the repo, else a synthetic gradient."""
    files = sorted(ARTWORKS.rglob("*.jpg"))[:1] if ARTWORKS.is_dir() else []
    if files:
        return np.asarray(Image.open(files[0]).convert("RGB").resize((48, 40)))
    y, x = np.mgrid[0:40, 0:48]
    return np.stack([x * 5, y * 6, (x + y) * 3], -1).astype(np.uint8)


SEEDS: dict[str, bytes] = {}
for fmt in FORMATS:
    buf = io.BytesIO()
    Image.fromarray(_seed_picture()).save(buf, format=fmt)
    SEEDS[fmt] = buf.getvalue()

# A broken file may raise any of these from Pillow's decoders (the folder loader skips
# the file on any exception); anything else — a TypeError or IndexError from artgan's own
# code, a MemoryError — is a bug this test must not swallow.
DECODER_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
                  Image.DecompressionBombWarning, struct.error, zlib.error)  # fmt: skip

mutation = st.tuples(
    st.sampled_from(FORMATS),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=12),  # overwrite
    st.one_of(st.none(), st.integers(0, 10**6)),  # cut off at
    st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=64)), max_size=3),  # insert
)


def _mutate(fmt: str, writes, cut, inserts) -> bytes:
    data = bytearray(SEEDS[fmt])
    for pos, value in writes:
        data[pos % len(data)] = value
    for pos, chunk in inserts:
        p = pos % (len(data) + 1)
        data[p:p] = chunk
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    return bytes(data)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)  # fmt: skip
@given(mutation)
def test_mutated_images_decode_or_fail_cleanly(m):
    data = _mutate(*m)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"x.{m[0].lower()}"
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = load_image(path, 16)
            except DECODER_ERRORS:  # what Pillow raises for a broken file; the loader skips it
                return
    assert img.shape == (16, 16, 3) and img.dtype == np.uint8


def test_a_header_claiming_a_huge_size_is_refused_before_decoding(tmp_path):
    # A valid PNG header for 12000x12000 (144 MP) with no pixel data behind it.
    im = Image.new("RGB", (1, 1))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = (12000).to_bytes(4, "big") * 2  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # IHDR's CRC again
    (tmp_path / "huge.png").write_bytes(bytes(data))
    assert MAX_PIXELS < 12000 * 12000  # below PIL's own error threshold (179 MP)
    with (
        pytest.warns(Image.DecompressionBombWarning),  # PIL itself only warns at this size
        pytest.raises(ValueError, match="12000x12000 is more than 100 megapixels"),
    ):
        load_image(tmp_path / "huge.png", 16)


def test_the_folder_loader_skips_mutants_with_a_reason(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for fmt, data in SEEDS.items():
        (folder / f"ok.{fmt.lower()}").write_bytes(data)
        (folder / f"cut.{fmt.lower()}").write_bytes(data[: len(data) // 3])
    with pytest.warns(UserWarning, match="skipped"):
        got = load_folder(folder, 16, cache_dir=tmp_path / "cache", progress=False)
    assert {f"ok.{f.lower()}" for f in FORMATS} <= set(got.files)
    assert got.images.shape[1:] == (16, 16, 3)
    assert all(name.startswith("cut.") for name in got.skipped)
