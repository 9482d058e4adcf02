"""Where does a generator's checkerboard come from? (docs/migan.md, #17)

A period-2 pattern (checkerboard, or stripes one pixel wide) puts its power on the
Nyquist row and column of the 2-D spectrum (``ky = H/2`` or ``kx = W/2``). The *Nyquist
share* of an image ``[C, H, W]`` is that power over all power except DC, per channel,
after removing the channel's mean; the *corner share* is the ``(H/2, W/2)`` term alone
(a pure checkerboard); the *high-band share* is the power at ``max(|fx|, |fy|) ≥ 3/8``
cycles per pixel (Nyquist is 1/2), where 2×2 blockiness and near-period-2 patterns sit;
the *lattice peaks* say whether the mean spectrum peaks on the reciprocal lattice of a
2-, 4- or 8-pixel grid (a coarser mesh laid over every sample).

What the exact-Nyquist bins can and cannot see: nearest ×2 (pixel pairs cancel in
Σ(−1)^n) and bilinear ×2 put exactly zero power there, and a linear layer (a 3×3 or
dilated conv) keeps it zero apart from its zero-padded borders; only nonlinear steps
(LeakyReLU, SFT's S ⊙ F + T, attention) and transposed convolutions' uneven overlap put
power on them. So a layer whose Nyquist share jumps is where a true period-2 pattern is
made; blockiness that is not exactly period 2 shows in the high-band share instead.
Shares depend on the map's size (white noise: (H + W − 1)/(HW − 1) on the Nyquist bins,
0.24 at 8 px, 0.03 at 64 px), so each layer's shares are also given as a multiple of
white noise's at its size.

    python scripts/checkerboard.py RUN [RUN ...] [--data ../shared/data/artworks] [--n 64]

For each run: the share of its EMA samples (and of real paintings, with ``--data``), and
for every 4-D output of G's modules at ≥ 8 px (via forward hooks: each stage's conv, AMS,
SFT, S-ECA, to_rgb for MIGAN) the mean share over channels, so that the layer where the
grid appears stands out. One thread, fp32; seconds per run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from artgan.sampling import load_generator


def _power(x: Tensor) -> Tensor:
    """``x [..., H, W]`` → its power spectrum ``|FFT2|²`` in float64, after removing each
    map's mean (so DC is 0)."""
    x = x.double()
    return torch.fft.fft2(x - x.mean(dim=(-2, -1), keepdim=True)).abs().pow(2)


def _high_band(h: int, w: int) -> Tensor:
    """``[h, w]`` mask of the bins at ``max(|fy|, |fx|) ≥ 3/8`` cycles per pixel."""
    fy = torch.fft.fftfreq(h, dtype=torch.float64).abs()[:, None]
    fx = torch.fft.fftfreq(w, dtype=torch.float64).abs()[None, :]
    return (torch.maximum(fy, fx) >= 0.375).double()


def nyquist_shares(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``x [B, C, H, W]`` (H, W even) → (Nyquist, corner, high-band share), each ``[B, C]``."""
    p = _power(x)
    h, w = x.shape[-2:]
    total = p.sum(dim=(-2, -1)).clamp_min(1e-30)
    row, col = p[..., h // 2, :].sum(-1), p[..., :, w // 2].sum(-1)
    corner = p[..., h // 2, w // 2]
    high = (p * _high_band(h, w)).sum(dim=(-2, -1))
    return (row + col - corner) / total, corner / total, high / total


def lattice_peaks(x: Tensor, periods: tuple[int, ...] = (2, 4, 8)) -> dict[int, float]:
    """``x [B, C, H, W]`` → for each period p, how far the mean power spectrum peaks on the
    reciprocal lattice of a p-pixel grid (the bins ``(ky, kx)`` with both multiples of
    ``H/p``, ``W/p``, DC left out) over their 8 neighbours: ≈ 1 for a smooth spectrum (a
    painting), ≫ 1 when a p-periodic 2-D pattern is laid over the images."""
    p = _power(x).mean(dim=(0, 1))
    h, w = p.shape
    out = {}
    for period in periods:
        sy, sx = h // period, w // period
        points = {(ky, kx) for ky in range(0, h, sy) for kx in range(0, w, sx)} - {(0, 0)}
        near = {((ky + dy) % h, (kx + dx) % w) for ky, kx in points
                for dy in (-1, 0, 1) for dx in (-1, 0, 1)} - points - {(0, 0)}  # fmt: skip
        on = torch.stack([p[k] for k in points]).mean()
        off = torch.stack([p[k] for k in near]).mean().clamp_min(1e-30)
        out[period] = float(on / off)
    return out


def white_noise_shares(h: int, w: int) -> tuple[float, float]:
    """Expected (Nyquist, high-band) share of white noise on an ``h × w`` map (flat
    spectrum over the ``h·w − 1`` non-DC bins)."""
    n_high = int(_high_band(h, w).sum())
    return (h + w - 1) / (h * w - 1), n_high / (h * w - 1)


Store = dict[str, list[tuple[float, float, int, int]]]


def _hooks(g: nn.Module, store: Store) -> list[torch.utils.hooks.RemovableHandle]:
    handles = []
    for name, module in g.named_modules():
        if not name or name.count(".") > 2:
            continue

        def hook(_m: nn.Module, _i: object, out: object, name: str = name) -> None:
            even = isinstance(out, Tensor) and out.dim() == 4 and out.shape[-1] >= 8
            if even and out.shape[-1] % 2 == 0 and out.shape[-2] % 2 == 0:
                ny, _, high = nyquist_shares(out)
                h, w = out.shape[-2:]
                store.setdefault(name, []).append((float(ny.mean()), float(high.mean()), h, w))

        handles.append(module.register_forward_hook(hook))
    return handles


@torch.no_grad()
def analyse(run: str, n: int, seed: int) -> dict[str, object]:
    if Path(run).suffix == ".onnx":
        raise SystemExit(f"{run}: an ONNX export has no torch layers to hook; give the run")
    lg = load_generator(run)
    latent = lg.latent.join(lg.latent.sample(n, torch.Generator().manual_seed(seed)))
    store: Store = {}
    handles = _hooks(lg.G, store)
    x = lg.G(latent)
    for h in handles:
        h.remove()
    ny, corner, high = nyquist_shares(x)
    layers = {}
    for name, values in store.items():
        h, w = values[0][2:]
        ny_w, high_w = white_noise_shares(h, w)
        ny_l = float(np.mean([v[0] for v in values]))
        high_l = float(np.mean([v[1] for v in values]))
        layers[name] = {
            "size": h,
            "nyquist_share": ny_l,
            "high_band_share": high_l,
            "nyquist_x_white": ny_l / ny_w,
            "high_band_x_white": high_l / high_w,
        }
    return {
        "run": run,
        "model": lg.model_cfg.get("name"),
        "step": lg.step,
        "resolution": lg.resolution,
        "samples_nyquist_share": float(ny.mean()),
        "samples_corner_share": float(corner.mean()),
        "samples_high_band_share": float(high.mean()),
        "samples_lattice_peaks": lattice_peaks(x),
        "layers": layers,
    }


def real_shares(data: str, resolution: int, n: int) -> tuple[float, float, float, dict]:
    from artgan.data import load_dataset

    images = load_dataset(data, resolution, progress=False).images
    pick = np.linspace(0, len(images) - 1, n).astype(int)
    x = torch.from_numpy(images[pick]).permute(0, 3, 1, 2).float() / 127.5 - 1
    ny, corner, high = nyquist_shares(x)
    return float(ny.mean()), float(corner.mean()), float(high.mean()), lattice_peaks(x)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run folders, checkpoints or exported generators")
    ap.add_argument("--data", help="an image folder: the real paintings' share as a yardstick")
    ap.add_argument("--n", type=int, default=64, help="samples per run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = [analyse(r, args.n, args.seed) for r in args.runs]
    out: dict[str, object] = {"runs": results}
    if args.data:
        real = real_shares(args.data, int(results[0]["resolution"]), args.n)  # type: ignore[call-overload]
        keys = ("nyquist_share", "corner_share", "high_band_share", "lattice_peaks")
        out["real"] = dict(zip(keys, real, strict=True))
        print(f"real paintings: Nyquist share {real[0]:.4f}, corner {real[1]:.5f}, "
              f"high band {real[2]:.4f}, lattice peaks {real[3]}")  # fmt: skip
    for r in results:
        print(f"\n{r['run']} ({r['model']}, step {r['step']}): samples Nyquist share "
              f"{r['samples_nyquist_share']:.4f}, corner {r['samples_corner_share']:.5f}, "
              f"high band {r['samples_high_band_share']:.4f}, "
              f"lattice peaks {r['samples_lattice_peaks']}")  # fmt: skip
        print(f"  {'layer':<26} {'px':>3} {'Nyquist':>8} {'x white':>8} {'high':>7} {'x white':>8}")
        for name, v in r["layers"].items():  # type: ignore[union-attr]
            print(f"  {name:<26} {v['size']:>3} {v['nyquist_share']:8.4f} "
                  f"{v['nyquist_x_white']:8.2f} {v['high_band_share']:7.4f} "
                  f"{v['high_band_x_white']:8.2f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
