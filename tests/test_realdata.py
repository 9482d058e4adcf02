"""Training on real paintings (../shared/data/artworks), as a user's folder would be."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from artgan.cli import main
from helpers import ARTWORKS

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def painting_folder(tmp_path_factory):
    if not ARTWORKS.is_dir():
        pytest.skip("../shared/data/artworks is not present")
    root = tmp_path_factory.mktemp("paintings")
    for genre in ("Baroque", "Impressionism"):
        (root / genre).mkdir()
        for src in sorted((ARTWORKS / genre).glob("*.jpg"))[:30]:
            shutil.copy2(src, root / genre / src.name)
    # A user's folder is messy: one corrupt file, one RGBA png, one greyscale image.
    (root / "Baroque" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    first = next((root / "Impressionism").glob("*.jpg"))
    Image.open(first).convert("RGBA").save(root / "Impressionism" / "rgba.png")
    Image.open(first).convert("L").save(root / "Impressionism" / "grey.webp")
    return root


def test_train_generate_on_a_painting_folder(painting_folder, tmp_path):
    out = tmp_path / "run"
    with pytest.warns(UserWarning, match="skipped 1 of 63 files"):
        code = main([
        "train", "--data", str(painting_folder), "--resolution", "32", "--steps", "3",
        "--batch-size", "8", "--out", str(out), "--no-progress",
        "--set", "model.g_channels=8", "--set", "model.d_channels=8",
        ])  # fmt: skip
    assert code == 0
    meta = json.loads((out / "run.json").read_text())
    assert meta["data"]["class_names"] == ["Baroque", "Impressionism"]
    assert meta["data"]["n_images"] == 62 and meta["data"]["n_skipped"] == 1
    split = json.loads((out / "split.json").read_text())
    assert (len(split["train"]), len(split["test"])) == (37, 25)  # 6:4
    assert not set(split["train"]) & set(split["test"])
    assert main(["generate", str(out), "--n", "2", "--out", str(tmp_path / "g")]) == 0
    img = np.asarray(Image.open(tmp_path / "g" / "seed000000.png"))
    assert img.shape == (32, 32, 3)
