"""Finding and decoding images: formats, colour modes, fitting, EXIF, folder layouts, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError, features

from artgan.data import check_resolution, load_folder, load_image, scan_folder
from artgan.errors import ArtganError
from helpers import ARTWORKS

REAL_DATA = ARTWORKS

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def save(img: Image.Image, path: Path, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kwargs)
    return path


def solid(path: Path, colour: tuple[int, int, int] = (200, 40, 30)) -> Path:
    return save(Image.new("RGB", (24, 20), colour), path)


def close(pixels: np.ndarray, colour: tuple[int, ...], tol: int = 12) -> bool:
    """Every pixel in ``pixels`` ``[..., 3]`` is within ``tol`` of ``colour``."""
    return bool(np.abs(pixels.astype(int) - np.array(colour)).max() <= tol)


# --- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif"])
def test_decodes_common_formats(tmp_path: Path, ext: str) -> None:
    if ext == ".webp" and not features.check("webp"):
        pytest.skip("this Pillow build has no WebP support")
    path = save(Image.new("RGB", (48, 32), (200, 40, 30)), tmp_path / f"a{ext}")
    out = load_image(path, 16, "crop")
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    # Lossy formats (JPEG, WebP, GIF's palette) shift colours a little.
    assert close(out, (200, 40, 30), tol=14)


def test_rgba_transparency_composited_over_white(tmp_path: Path) -> None:
    arr = np.zeros((32, 32, 4), np.uint8)
    arr[:, :16] = (0, 255, 0, 255)  # opaque green
    arr[:, 16:] = (255, 0, 0, 0)  # fully transparent red: must not show as red
    out = load_image(save(Image.fromarray(arr, "RGBA"), tmp_path / "a.png"), 16, "crop")
    assert close(out[:, :6], GREEN, tol=3)
    assert close(out[:, 10:], WHITE, tol=3)


def test_la_and_palette_transparency(tmp_path: Path) -> None:
    la = Image.new("LA", (16, 16), (50, 0))  # transparent dark grey
    assert close(load_image(save(la, tmp_path / "la.png"), 8, "crop"), WHITE, tol=0)

    pal = Image.new("P", (16, 16), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.paste(1, (0, 8, 16, 16))  # bottom half index 1 = blue; top half index 0 = red
    out = load_image(save(pal, tmp_path / "p.png", transparency=0), 16, "crop")
    assert close(out[:8], WHITE, tol=0)
    assert close(out[8:], BLUE, tol=0)


def test_greyscale_palette_and_16bit_become_rgb(tmp_path: Path) -> None:
    grey = load_image(save(Image.new("L", (20, 20), 100), tmp_path / "l.png"), 8, "crop")
    assert close(grey, (100, 100, 100), tol=0)

    pal = Image.new("P", (20, 20), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    assert close(load_image(save(pal, tmp_path / "p.png"), 8, "crop"), (10, 200, 30), tol=0)

    # 16-bit greyscale must be rescaled, not clipped to white: 40000 / 257 ≈ 156.
    deep = Image.fromarray(np.full((20, 20), 40000, np.uint16))
    assert close(load_image(save(deep, tmp_path / "i16.png"), 8, "crop"), (156,) * 3, tol=1)

    cmyk = Image.new("CMYK", (20, 20), (0, 255, 255, 0))  # red in ink terms
    out = load_image(save(cmyk, tmp_path / "cmyk.jpg"), 8, "crop")
    assert close(out, RED, tol=40)


def test_animated_gif_uses_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), c) for c in (RED, BLUE)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert close(load_image(path, 8, "crop"), RED, tol=2)


def three_stripes(path: Path) -> Path:
    """90x30 image: left and right thirds red, middle third green."""
    arr = np.zeros((30, 90, 3), np.uint8)
    arr[:, :30] = RED
    arr[:, 30:60] = GREEN
    arr[:, 60:] = RED
    return save(Image.fromarray(arr), path)


def test_crop_keeps_the_centre(tmp_path: Path) -> None:
    out = load_image(three_stripes(tmp_path / "wide.png"), 16, "crop")
    assert close(out[8, 8], GREEN, tol=2)
    is_green = (out[..., 1] > 200) & (out[..., 0] < 60)
    assert is_green.mean() > 0.8


def test_pad_keeps_everything_with_black_bars(tmp_path: Path) -> None:
    out = load_image(three_stripes(tmp_path / "wide.png"), 32, "pad")
    # 90x30 scaled to 32x11, centred vertically: black bars above and below.
    assert close(out[:8], (0, 0, 0), tol=0)
    assert close(out[-8:], (0, 0, 0), tol=0)
    row = out[16]
    assert close(row[:8], RED, tol=20) and close(row[-8:], RED, tol=20)
    assert close(row[13:19], GREEN, tol=20)


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    # Stored pixels: 64x32 landscape, top half red, bottom half blue.
    arr = np.zeros((32, 64, 3), np.uint8)
    arr[:16] = RED
    arr[16:] = BLUE
    img = Image.fromarray(arr)
    exif = img.getexif()
    # Orientation 6: the viewer must rotate the stored image 90° clockwise, which moves
    # the stored top edge (red) to the right and the bottom edge (blue) to the left.
    exif[0x0112] = 6
    path = save(img, tmp_path / "rotated.jpg", exif=exif, quality=95)
    out = load_image(path, 16, "crop")
    assert close(out[:, :6], BLUE, tol=40)
    assert close(out[:, 10:], RED, tol=40)


def test_large_jpeg_draft_decoding_matches_full_decode(tmp_path: Path) -> None:
    # A smooth gradient so that scaled (draft) JPEG decoding and a full decode agree.
    yy, xx = np.mgrid[0:600, 0:800]
    arr = np.stack([xx * 255 // 799, yy * 255 // 599, (xx + yy) * 255 // 1398], -1)
    img = Image.fromarray(arr.astype(np.uint8))
    fast = load_image(save(img, tmp_path / "big.jpg", quality=95), 32, "crop")
    exact = load_image(save(img, tmp_path / "big.png"), 32, "crop")
    assert np.abs(fast.astype(int) - exact.astype(int)).mean() < 3


def test_upscales_small_images(tmp_path: Path) -> None:
    out = load_image(solid(tmp_path / "tiny.png"), 64, "pad")
    assert out.shape == (64, 64, 3)
    assert close(out[32, 32], (200, 40, 30), tol=3)


def test_undecodable_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"definitely not a jpeg")
    # Pillow's own error, which the folder loader turns into a skipped file with its reason
    with pytest.raises(UnidentifiedImageError, match="cannot identify image file"):
        load_image(bad, 16, "crop")


# --- folders ------------------------------------------------------------------------------


def test_class_subfolders_become_labels(tmp_path: Path) -> None:
    solid(tmp_path / "cats" / "a.png", RED)
    solid(tmp_path / "dogs" / "deeper" / "b.JPG", BLUE)  # nested, upper-case extension
    solid(tmp_path / "dogs" / "c.png", BLUE)
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not an image")

    files, classes = scan_folder(tmp_path)
    assert classes == ["cats", "dogs"]
    assert files == ["cats/a.png", "dogs/c.png", "dogs/deeper/b.JPG"]

    data = load_folder(tmp_path, 8, cache_dir=tmp_path / "cache", progress=False)
    assert data.files == files and data.class_names == classes
    assert data.labels.tolist() == [0, 1, 1]
    assert data.labels.dtype == np.int64
    assert close(data.images[0], RED, tol=2) and close(data.images[2], BLUE, tol=30)
    assert len(data) == 3 and data.resolution == 8 and data.skipped == []


def test_root_images_make_the_set_unlabelled(tmp_path: Path) -> None:
    solid(tmp_path / "a.png")
    solid(tmp_path / "cats" / "b.png")
    files, classes = scan_folder(tmp_path)
    assert files == ["a.png", "cats/b.png"] and classes == []
    data = load_folder(tmp_path, 8, cache_dir=tmp_path / ".cache", progress=False)
    assert data.labels.tolist() == [-1, -1] and data.class_names == []


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    solid(tmp_path / "art" / "a.png")
    solid(tmp_path / "art" / ".thumb.png")
    solid(tmp_path / ".hidden" / "b.png")
    solid(tmp_path / "art" / ".git" / "c.png")
    assert scan_folder(tmp_path) == (["art/a.png"], ["art"])


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ArtganError, match="does not exist"):
        scan_folder(tmp_path / "nope")


def test_file_instead_of_folder(tmp_path: Path) -> None:
    with pytest.raises(ArtganError, match="not a folder"):
        load_folder(solid(tmp_path / "a.png"), 8, cache_dir=tmp_path / "c", progress=False)


def test_empty_folder_and_non_image_files(tmp_path: Path) -> None:
    with pytest.raises(ArtganError, match=r"contains no image files \(looked for \.jpg"):
        scan_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "data.csv").write_text("a,b")
    with pytest.raises(ArtganError, match="contains no image files"):
        load_folder(tmp_path, 8, cache_dir=tmp_path / "c", progress=False)


def test_all_files_corrupt(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.png"):
        (tmp_path / name).write_bytes(b"garbage")
    with pytest.raises(ArtganError, match=r"none of the 2 image files could be decoded.*a\.jpg"):
        load_folder(tmp_path, 8, cache_dir=tmp_path / "c", progress=False)


def test_some_files_corrupt_are_skipped_with_a_warning(tmp_path: Path) -> None:
    solid(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_bytes(b"garbage")
    solid(tmp_path / "c.png")
    with pytest.warns(UserWarning, match=r"skipped 1 of 3 files .*first: b\.jpg"):
        data = load_folder(tmp_path, 8, cache_dir=tmp_path / "c", progress=False)
    assert len(data) == 2 and data.images.shape == (2, 8, 8, 3)
    assert data.files == ["a.png", "c.png"] and data.skipped == ["b.jpg"]


@pytest.mark.parametrize("resolution", [48, 4, 2048, 0, -8])
def test_bad_resolution(tmp_path: Path, resolution: int) -> None:
    solid(tmp_path / "a.png")
    with pytest.raises(ArtganError, match="power of two"):
        check_resolution(resolution)
    with pytest.raises(ArtganError, match="power of two"):
        load_folder(tmp_path, resolution, cache_dir=tmp_path / "c", progress=False)


def test_bad_fit(tmp_path: Path) -> None:
    solid(tmp_path / "a.png")
    with pytest.raises(ArtganError, match="fit must be 'crop' or 'pad'"):
        load_folder(tmp_path, 8, fit="stretch", cache_dir=tmp_path / "c", progress=False)


@pytest.mark.realdata
def test_real_artworks_folder(tmp_path: Path) -> None:
    if not REAL_DATA.is_dir():
        pytest.skip(f"{REAL_DATA} not present")
    files, classes = scan_folder(REAL_DATA)
    assert len(classes) == 16 and "Impressionism" in classes
    assert all(f.split("/", 1)[0] in classes for f in files)

    # Decode a spread of ~40 files (every class) from a copy, so the cache stays small.
    picked = files[:: max(1, len(files) // 40)][:40]
    for rel in picked:
        (tmp_path / "art" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REAL_DATA / rel, tmp_path / "art" / rel)
    data = load_folder(tmp_path / "art", 32, cache_dir=tmp_path / "cache", progress=False)
    assert len(data) == len(picked) and data.skipped == []
    assert data.images.shape == (len(picked), 32, 32, 3)
    assert all(
        data.class_names[lab] == f.split("/", 1)[0]
        for lab, f in zip(data.labels, data.files, strict=True)
    )
    # Paintings, not blank canvases.
    assert (data.images.reshape(len(picked), -1).std(axis=1) > 5).all()
