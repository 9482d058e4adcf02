"""Yardsticks for MIGAN's reconstruction error (docs/migan.md, "The second 64 px run").

    python docs/migan_reconstruction_checks.py thumbnails RUN
    python docs/migan_reconstruction_checks.py autoencoder RUN --seconds 2700

Both use the 48 test-split paintings the figures and tables use (every len/48-th file of
RUN/split.json's test list) and report the mean absolute error on the 0-255 scale.

- ``thumbnails``: the error of replacing each painting by its own flat mean colour, by
  its own k×k block average (upsampled bilinearly) and by the training set's mean image.
- ``autoencoder``: E and G of RUN's config, freshly initialised and trained on the image
  cycle alone (MS-SSIM + L1 plus 0.1 × perceptual, the preset's λ : η; no critic; batch 8
  real paintings, Adam 1e-4, β (0, 0.9)) for ``--seconds``: the pace a GAN's image cycle
  cannot beat with this architecture and optimiser.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from artgan.config import from_saved, read_yaml
from artgan.data import load_dataset, split_indices
from artgan.metrics.ssim import ms_ssim_l1_loss
from artgan.nn.vgg import VGG19Features, perceptual_distance
from artgan.runtime import setup_runtime
from artgan.train.state import build_state


def test_images(run: Path, files: list[str], images: np.ndarray) -> torch.Tensor:
    """The 48 test paintings as ``[48, 3, R, R]`` float in 0-255."""
    test = json.loads((run / "split.json").read_text())["test"]
    index = {f: i for i, f in enumerate(files)}
    pick = [index[f] for f in test[:: len(test) // 48][:48]]
    return torch.from_numpy(images[pick]).permute(0, 3, 1, 2).float()


def block_average(x: torch.Tensor, k: int) -> torch.Tensor:
    """``[N, C, H, W]`` float → each image's k×k block average, bilinearly upsampled back
    to H×W: a painting's "thumbnail", the yardstick a reconstruction is read against
    (also used by make_migan_figures.py)."""
    small = F.adaptive_avg_pool2d(x, k)
    return F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False)


def thumbnails(x: torch.Tensor, train: torch.Tensor) -> None:
    print(f"training-set mean image: {(x - train.mean(0, keepdim=True)).abs().mean():.1f}")
    print(f"own flat mean colour:    {(x - x.mean((2, 3), keepdim=True)).abs().mean():.1f}")
    for k in (2, 4, 8, 16):
        print(f"own {k}x{k} block average:  {(x - block_average(x, k)).abs().mean():.1f}")


def autoencoder(cfg, rt, x: torch.Tensor, train_u8: np.ndarray, seconds: float) -> None:
    st = build_state(cfg, rt)
    G, E = st.G, st.E
    assert E is not None, "the run's model has no encoder"
    layers = cfg.model.perceptual_layer_names()
    vgg = VGG19Features(layers=layers).eval()
    opt = torch.optim.Adam([*G.parameters(), *E.parameters()], lr=1e-4, betas=(0.0, 0.9))
    gen = torch.Generator().manual_seed(0)

    def mae() -> float:
        G.eval()
        E.eval()
        with torch.no_grad():
            r = (G(E.to_latent(E(x / 127.5 - 1))).clamp(-1, 1) + 1) * 127.5
        G.train()
        E.train()
        return float((r - x).abs().mean())

    t0, step = time.time(), 0
    while time.time() - t0 < seconds:
        b = torch.randint(0, len(train_u8), (8,), generator=gen).numpy()
        xb = torch.from_numpy(train_u8[b]).permute(0, 3, 1, 2).float() / 127.5 - 1
        xh = G(E.to_latent(E(xb)))
        loss = ms_ssim_l1_loss(xh, xb, alpha=cfg.model.ms_alpha)
        loss = loss + 0.1 * perceptual_distance(vgg(xh), vgg(xb)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step in (50, 100, 150) or step % 200 == 0:
            print(f"step {step} ({time.time() - t0:.0f} s): test MAE {mae():.1f}", flush=True)
    print(f"final step {step} ({time.time() - t0:.0f} s): test MAE {mae():.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("check", choices=("thumbnails", "autoencoder"))
    ap.add_argument("run", type=Path, help="a migan run folder (config.yaml, split.json)")
    ap.add_argument("--seconds", type=float, default=2700.0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    cfg = from_saved(read_yaml(a.run / "config.yaml"))
    rt = setup_runtime("cpu", "fp32", a.threads)
    d = cfg.data
    ds = load_dataset(d.path, d.resolution, d.fit, d.cache_dir, progress=False)
    train_idx, _ = split_indices(ds.files, d.train_fraction, d.split_seed)
    x = test_images(a.run, ds.files, ds.images)
    if a.check == "thumbnails":
        train = torch.from_numpy(ds.images[train_idx[:: max(1, len(train_idx) // 200)]])
        thumbnails(x, train.permute(0, 3, 1, 2).float())
    else:
        autoencoder(cfg, rt, x, ds.images[train_idx], a.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
