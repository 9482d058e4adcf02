"""The built-in data set: small procedurally painted landscapes.

Shipping the data set as code keeps the package usable offline and without any image
folder, while still giving a GAN something with structure to learn: a sky gradient whose
palette depends on the class (time of day), a sun or moon, two or three layers of rolling
hills fading into haze with distance, and a brush-stroke texture.
"""

from __future__ import annotations

import hashlib

import numpy as np

from artgan.config import check_resolution
from artgan.data.imageset import ImageSet
from artgan.errors import ArtganError

SYNTHETIC_VERSION = 1
LANDSCAPE_CLASSES = ["dawn", "day", "dusk", "night"]

# Per class, RGB in [0, 1]: sky at the top, sky at the horizon, sun/moon, light on the land.
_SKY_TOP = np.array(
    [[0.30, 0.32, 0.58], [0.22, 0.47, 0.84], [0.30, 0.18, 0.42], [0.02, 0.03, 0.10]],
    dtype=np.float32,
)
_SKY_HORIZON = np.array(
    [[0.98, 0.72, 0.58], [0.74, 0.86, 0.96], [0.98, 0.50, 0.26], [0.13, 0.16, 0.32]],
    dtype=np.float32,
)
_SUN = np.array(
    [[1.00, 0.92, 0.72], [1.00, 0.98, 0.86], [1.00, 0.62, 0.30], [0.93, 0.93, 0.84]],
    dtype=np.float32,
)
_LIGHT = np.array(
    [[1.00, 0.86, 0.80], [1.00, 1.00, 0.96], [0.90, 0.62, 0.48], [0.32, 0.38, 0.58]],
    dtype=np.float32,
)
# Sun height as a fraction of the horizon height: low at dawn and dusk, high by day.
_SUN_HEIGHT = np.array([[0.55, 0.95], [0.15, 0.60], [0.55, 0.95], [0.15, 0.60]])
# Earthy base colours for hills: meadow green, olive, ochre, sienna, pine.
_EARTH = np.array(
    [[0.30, 0.45, 0.20], [0.36, 0.38, 0.17], [0.55, 0.44, 0.22], [0.52, 0.30, 0.18],
     [0.16, 0.30, 0.20]],
    dtype=np.float32,
)  # fmt: skip
# Far to near: how far down the land the ridge sits, ridge amplitude, haze mixed in.
_LAYER_DEPTH = np.array([0.02, 0.33, 0.66], dtype=np.float32)
_LAYER_AMPLITUDE = np.array([0.09, 0.06, 0.045], dtype=np.float32)
_LAYER_HAZE = np.array([0.62, 0.36, 0.10], dtype=np.float32)

# Pixels rendered per chunk (32 images at 64 px): small enough that the temporaries stay in
# cache, large enough to amortise numpy's per-call overhead; measured fastest on one core.
_CHUNK_PIXELS = 1 << 17


def make_landscapes(n: int = 2048, resolution: int = 64, seed: int = 0) -> ImageSet:
    """Generate ``n`` landscape paintings as ``[n, resolution, resolution, 3] uint8``.

    Labels are the time of day (``LANDSCAPE_CLASSES``), cycling so classes are balanced.
    Output is deterministic in ``(n, resolution, seed)``; images are rendered in chunks
    with a generator per chunk, so the first ``m`` images are the same for any ``n >= m``.
    """
    check_resolution(resolution)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ArtganError(f"number of synthetic images must be a positive integer, got {n!r}")
    chunk = max(1, _CHUNK_PIXELS // (resolution * resolution))
    images = np.empty((n, resolution, resolution, 3), dtype=np.uint8)
    labels = np.arange(n, dtype=np.int64) % len(LANDSCAPE_CLASSES)
    for c, start in enumerate(range(0, n, chunk)):
        # SeedSequence needs non-negative entries; masking maps any int seed to one.
        rng = np.random.default_rng([int(seed) & (2**64 - 1), c, SYNTHETIC_VERSION])
        # Always render a full chunk so random draws do not depend on n.
        chunk_labels = np.arange(start, start + chunk) % len(LANDSCAPE_CLASSES)
        stop = min(n, start + chunk)
        images[start:stop] = _render(rng, chunk_labels, resolution)[: stop - start]
    key = f"landscapes:{n}:{resolution}:{seed}:{SYNTHETIC_VERSION}"
    return ImageSet(
        images=images,
        labels=labels,
        class_names=list(LANDSCAPE_CLASSES),
        files=[f"landscape_{i:05d}" for i in range(n)],
        skipped=[],
        fingerprint=hashlib.sha256(key.encode()).hexdigest(),
        source="builtin:landscapes",
    )


def _uniform(rng: np.random.Generator, lo: float, hi: float, size: object) -> np.ndarray:
    return rng.uniform(lo, hi, size).astype(np.float32)


def _interp_matrix(cells: int, r: int) -> np.ndarray:
    """``[r, cells + 1] float32`` weights that smoothly interpolate a 1-D grid to r pixels."""
    p = (np.arange(r, dtype=np.float32) + 0.5) * (cells / r)
    i0 = np.minimum(p.astype(np.int64), cells - 1)
    f = p - i0
    f = f * f * (3 - 2 * f)  # smoothstep hides the grid lines
    m = np.zeros((r, cells + 1), dtype=np.float32)
    m[np.arange(r), i0] = 1 - f
    m[np.arange(r), i0 + 1] = f
    return m


def _smooth_noise(rng: np.random.Generator, b: int, r: int, gy: int, gx: int) -> np.ndarray:
    """Value noise ``[b, r, r] float32`` (std about 0.6) on a grid of gy x gx cells.

    More cells along y than along x stretches features horizontally, like brush strokes.
    Interpolating with two small matrix products is much faster than gathering pixels.
    """
    grid = rng.standard_normal((b, gy + 1, gx + 1), dtype=np.float32)
    return _interp_matrix(gy, r) @ grid @ _interp_matrix(gx, r).T


# long: one painting's random draws in one fixed order; split, the order would be easy to
# break and every built-in image (and every test and demo number) would change.
def _render(rng: np.random.Generator, labels: np.ndarray, r: int) -> np.ndarray:
    """Paint one chunk: labels ``[B]`` → ``[B, r, r, 3] uint8``.

    Every element (sky, clouds, sun, each hill) is a blend toward one colour per image, so
    the picture is a per-pixel weighted sum of a few per-image colours. Only the scalar
    weights ``[B, r, r]`` are computed per pixel; a single batched matrix product then
    does all the colour work, which keeps this fast on one CPU core.
    """
    b = len(labels)
    y = ((np.arange(r, dtype=np.float32) + 0.5) / r)[None, :, None]  # [1, r, 1], 0 = top
    x = ((np.arange(r, dtype=np.float32) + 0.5) / r)[None, None, :]  # [1, 1, r]
    night = labels == 3

    def jitter(palette: np.ndarray, amount: float) -> np.ndarray:  # [B, 3]
        return np.clip(palette[labels] + _uniform(rng, -amount, amount, (b, 3)), 0, 1)

    top, horizon_col = jitter(_SKY_TOP, 0.06), jitter(_SKY_HORIZON, 0.06)
    sun_col, light = jitter(_SUN, 0.03), jitter(_LIGHT, 0.05)

    # Sky: gradient from the top colour to the horizon colour where the far hills begin.
    horizon = _uniform(rng, 0.42, 0.62, b)[:, None, None]  # [B, 1, 1]
    t = np.clip(y / horizon, 0, 1) ** _uniform(rng, 0.8, 1.8, b)[:, None, None]  # [B, r, 1]

    # Clouds: soft horizontal streaks in a light version of the horizon colour, fading out
    # towards the horizon; none at night.
    amount = _uniform(rng, 0.0, 0.55, b) * ~night
    clouds = np.clip(_smooth_noise(rng, b, r, 6, 2) * 1.6 - 0.5, 0, 1)
    clouds *= amount[:, None, None] * np.clip((horizon - y) / 0.12, 0, 1)
    cloud_col = 0.5 * horizon_col + 0.5

    # Sun or moon: a glow plus an antialiased disc; at night also a sprinkle of stars.
    cx = _uniform(rng, 0.12, 0.88, b)[:, None, None]
    lo, hi = _SUN_HEIGHT[labels].T
    cy = horizon * rng.uniform(lo, hi).astype(np.float32)[:, None, None]
    radius = _uniform(rng, 0.035, 0.09, b)[:, None, None]
    dist = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)  # [B, r, r]
    strength = np.where(night, 0.2, 0.55).astype(np.float32)[:, None, None]
    glow = np.exp(-((dist / (radius * 4)) ** 2)) * strength
    disc = np.clip((radius - dist) * r + 0.5, 0, 1)
    n_stars = max(1, round(0.004 * r * r))
    stars = np.zeros((b, r * r), dtype=np.float32)
    where = rng.integers(0, r * r, (b, n_stars))
    stars[np.arange(b)[:, None], where] = _uniform(rng, 0.3, 0.8, (b, n_stars)) * night[:, None]
    sun = 1 - (1 - glow) * (1 - disc) * (1 - stars.reshape(b, r, r))

    # Hills, near to far, each covering what lies behind; the farthest layer is left out of
    # about half the images. `behind` is how much of the pixel is still visible further back.
    n_layers = rng.integers(2, 4, b)
    behind = np.ones((b, r, r), dtype=np.float32)
    weights: list[np.ndarray] = []
    colours: list[np.ndarray] = []
    for k in (2, 1, 0):
        base = horizon + (1 - horizon) * (
            _LAYER_DEPTH[k] + _uniform(rng, -0.04, 0.04, b)[:, None, None]
        )
        freqs = _uniform(rng, 0.6, 1.4, (b, 3)) * np.array([1.0, 2.3, 5.1], np.float32)
        phases = _uniform(rng, 0, 2 * np.pi, (b, 3))
        amps = _LAYER_AMPLITUDE[k] * np.array([1.0, 0.45, 0.15], np.float32)
        amps = amps * _uniform(rng, 0.5, 1.3, (b, 3))
        waves = np.sin(2 * np.pi * freqs[..., None] * x[0] + phases[..., None])  # [B, 3, r]
        ridge = base + np.einsum("bj,bjx->bx", amps, waves)[:, None, :]  # [B, 1, r]
        cover = np.clip((y - ridge) * r + 0.5, 0, 1)  # antialiased ridge line
        if k == 0:
            cover *= (n_layers == 3)[:, None, None]
        cover *= behind
        behind -= cover
        # Lit from above: land darkens with depth below its baseline; near layers darker.
        shade = 1 - 0.35 * np.clip((y - base) / 0.35, 0, 1)  # [B, r, 1]
        earth = _EARTH[rng.integers(0, len(_EARTH), b)] * light * (1.0 - 0.12 * k)
        # Aerial perspective: distant land takes on the colour of the sky at the horizon.
        haze = np.clip(_LAYER_HAZE[k] + _uniform(rng, -0.08, 0.08, b), 0, 1)[:, None]
        weights += [cover * shade, cover]
        colours += [earth * (1 - haze), horizon_col * haze]

    # Everything in front of the sky layers hides them in proportion; then combine.
    sky = behind * (1 - sun)
    weights += [sky * (1 - clouds) * (1 - t), sky * (1 - clouds) * t, sky * clouds, behind * sun]
    colours += [top, horizon_col, cloud_col, sun_col]
    # Painterly texture: a little colour wobble and grain, as extra additive "colours".
    weights += [_smooth_noise(rng, b, r, max(2, r // 4), max(1, r // 8))]
    colours += [np.broadcast_to(np.array([0.02, -0.01, -0.01], np.float32), (b, 3))]
    weights += [rng.standard_normal((b, r, r), dtype=np.float32)]
    colours += [np.full((b, 3), 0.012, np.float32)]

    feats = np.stack(weights, axis=1).reshape(b, len(weights), r * r)  # [B, F, r*r]
    palette = np.stack(colours, axis=2)  # [B, 3, F]
    img = (palette @ feats).reshape(b, 3, r, r)
    # Brush strokes modulate brightness; a gentle vignette shades the canvas edges.
    strokes = _smooth_noise(rng, b, r, max(2, r // 3), max(1, r // 12))
    light_map = (1 + 0.07 * strokes) * (255 * (1 - 0.35 * ((x - 0.5) ** 2 + (y - 0.5) ** 2)))
    img *= light_map[:, None]
    img += 0.5  # round to nearest when truncating below
    np.clip(img, 0, 255, out=img)
    return img.transpose(0, 2, 3, 1).astype(np.uint8)
