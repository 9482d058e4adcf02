"""Exact resume: 2 steps + save + resume + 2 steps == 4 uninterrupted steps, bit for bit."""

from __future__ import annotations

import json
import os
import signal

import pytest
import torch

from artgan.config import parse_override
from artgan.data import ImageSet
from artgan.errors import ArtganError, Interrupted
from artgan.train import Trainer, resume_config
from helpers import assert_same_state, tiny_config


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_resume_is_bit_exact(tmp_path, tiny_data, precision):
    cfg = tiny_config(parse_override(f"train.precision={precision}"))
    full = Trainer(cfg, tmp_path / "full", dataset=tiny_data)
    full.fit(until_step=4)

    part = Trainer(cfg, tmp_path / "part", dataset=tiny_data)
    part.fit(until_step=2)
    cfg2, ckpt, run_dir = resume_config(tmp_path / "part", [])
    assert ckpt["step"] == 2 and cfg2 == cfg
    resumed = Trainer(cfg2, run_dir, resume_state=ckpt, dataset=tiny_data)
    resumed.fit(until_step=4)

    assert resumed.state.step == full.state.step == 4
    assert_same_state(full, resumed)
    # The log has each step exactly once, in order, and marks where each session began
    # (reports leave the pause between sessions out of the run's wall-clock).
    rows = [json.loads(line) for line in (tmp_path / "part" / "metrics.jsonl").open()]
    assert [r["step"] for r in rows if "loss_g" in r] == [1, 2, 3, 4]
    assert [(r.get("kind"), r["step"]) for r in rows if "loss_g" not in r] == [
        ("start", 0),
        ("start", 2),
    ]
    assert rows[0]["time"] <= rows[1]["time"] <= rows[3]["time"] <= rows[4]["time"]


def test_training_changes_weights_and_ema_lags(tmp_path, tiny_data):
    t = Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data)
    g0 = [p.clone() for p in t.state.G.parameters()]
    t.fit(until_step=3)
    moved = [not torch.equal(a, b) for a, b in zip(g0, t.state.G.parameters(), strict=True)]
    assert all(moved)
    ema_differs = [
        not torch.equal(a, b)
        for a, b in zip(t.state.G_ema.parameters(), t.state.G.parameters(), strict=True)
    ]
    assert any(ema_differs)


def test_interrupt_saves_a_checkpoint_that_resumes_exactly(tmp_path, tiny_data):
    cfg = tiny_config()
    full = Trainer(cfg, tmp_path / "full", dataset=tiny_data)
    full.fit(until_step=4)

    t = Trainer(cfg, tmp_path / "int", dataset=tiny_data)
    real_get = t.batches.get

    def get_and_interrupt(i):
        if i == 2:  # during step 3 (0-based index 2): Ctrl-C arrives mid-step
            os.kill(os.getpid(), signal.SIGINT)
        return real_get(i)

    t.batches.get = get_and_interrupt
    with pytest.raises(Interrupted, match="at step 3; checkpoint saved"):
        t.fit(until_step=4)
    cfg2, ckpt, run_dir = resume_config(tmp_path / "int", [])
    assert ckpt["step"] == 3  # the step in flight finished before saving
    r = Trainer(cfg2, run_dir, resume_state=ckpt, dataset=tiny_data)
    r.fit(until_step=4)
    assert_same_state(full, r)


def test_resume_refuses_incompatible_changes(tmp_path, tiny_data):
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    with pytest.raises(ArtganError, match=r"incompatible config.*optim\.lr_g=0\.0002"):
        resume_config(tmp_path / "r", [parse_override("optim.lr_g=0.1")])
    with pytest.raises(ArtganError, match=r"data\.resolution=16 \(asked 32\)"):
        resume_config(tmp_path / "r", [parse_override("data.resolution=32")])
    cfg, _, _ = resume_config(tmp_path / "r", [parse_override("train.steps=10")])
    assert cfg.train.steps == 10  # running longer is fine


def _copy(data: ImageSet, **changes) -> ImageSet:
    """The same set as a fresh object (as if decoded again), with ``changes`` applied."""
    fields = {
        "images": data.images.copy(),
        "labels": data.labels.copy(),
        "class_names": list(data.class_names),
        "files": list(data.files),
        "skipped": list(data.skipped),
        "fingerprint": data.fingerprint,
        "source": data.source,
    }
    return ImageSet(**{**fields, **changes})


def test_resume_refuses_changed_data(tmp_path, tiny_data):
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    cfg, ckpt, run = resume_config(tmp_path / "r", [])
    fewer = tiny_data.subset(list(range(40)))
    one_pixel = _copy(tiny_data)
    one_pixel.images[5, 3, 3, 0] ^= 1
    renamed = _copy(tiny_data, files=[f"x/{f}" for f in tiny_data.files])
    for other in (fewer, one_pixel, renamed):
        with pytest.raises(ArtganError, match="training data changed.*pixels changed"):
            Trainer(cfg, run, resume_state=ckpt, dataset=other)


def test_resume_accepts_a_copy_with_new_timestamps(tmp_path, tiny_data):
    # A folder copied to another disk has new mtimes, hence a new decode-cache fingerprint,
    # but the same pixels: the run must continue exactly as if it had never moved.
    full = Trainer(tiny_config(), tmp_path / "full", dataset=tiny_data)
    full.fit(until_step=4)
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    cfg, ckpt, run = resume_config(tmp_path / "r", [])
    moved = _copy(tiny_data, fingerprint="new-mtimes")
    resumed = Trainer(cfg, run, resume_state=ckpt, dataset=moved)
    resumed.fit(until_step=4)
    assert_same_state(full, resumed)


def test_legacy_checkpoint_without_content_digest_uses_the_fingerprint(tmp_path, tiny_data):
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    cfg, ckpt, run = resume_config(tmp_path / "r", [])
    del ckpt["data"]["content"]
    Trainer(cfg, run, resume_state=ckpt, dataset=_copy(tiny_data))  # same stamp: fine
    with pytest.raises(ArtganError, match="predates content checks"):
        Trainer(cfg, run, resume_state=ckpt, dataset=_copy(tiny_data, fingerprint="other"))


def test_new_run_into_used_folder_is_refused(tmp_path, tiny_data):
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    with pytest.raises(ArtganError, match="already holds checkpoints.*--resume"):
        Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data)


def test_a_resume_leaves_unchanged_run_files_alone(tmp_path, tiny_data):
    # rewriting them on every resume would risk truncating them (a crash, a full disk)
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    names = ("config.yaml", "split.json", "run.json")
    before = {n: os.stat(tmp_path / "r" / n).st_ino for n in names}
    cfg2, ckpt, run_dir = resume_config(tmp_path / "r", [])
    Trainer(cfg2, run_dir, resume_state=ckpt, dataset=tiny_data).fit(until_step=3)
    assert {n: os.stat(tmp_path / "r" / n).st_ino for n in names} == before
    # a changed setting is written (atomically: a new file replaces the old)
    cfg3, ckpt, run_dir = resume_config(tmp_path / "r", [parse_override("train.steps=9")])
    Trainer(cfg3, run_dir, resume_state=ckpt, dataset=tiny_data).fit(until_step=4)
    assert os.stat(tmp_path / "r" / "config.yaml").st_ino != before["config.yaml"]
    assert "steps: 9" in (tmp_path / "r" / "config.yaml").read_text()


def test_truncated_latest_checkpoint_names_older_ones(tmp_path, tiny_data):
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=4)
    latest = tmp_path / "r" / "checkpoints" / "latest.pt"
    data = latest.read_bytes()
    latest.unlink()  # break the hard link so older ckpt files stay intact
    latest.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtganError, match=r"truncated or corrupt.*ckpt_0000002\.pt"):
        resume_config(tmp_path / "r", [])
    # An older checkpoint given explicitly still resumes.
    cfg, ckpt, run = resume_config(tmp_path / "r" / "checkpoints" / "ckpt_0000002.pt", [])
    assert ckpt["step"] == 2 and run == tmp_path / "r"


def test_resume_of_empty_or_missing_folder(tmp_path):
    with pytest.raises(ArtganError, match="no such run folder"):
        resume_config(tmp_path / "missing", [])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtganError, match="holds no checkpoints"):
        resume_config(tmp_path / "empty", [])


def test_a_truncated_latest_offers_only_readable_other_checkpoints(tmp_path, tiny_data):
    cfg = tiny_config({"train": {"ckpt_every": 1, "keep_checkpoints": 3}})
    Trainer(cfg, tmp_path / "r", dataset=tiny_data).fit(until_step=3)
    folder = tmp_path / "r" / "checkpoints"
    latest = folder / "latest.pt"
    newest = folder / "ckpt_0000003.pt"
    assert os.path.samefile(latest, newest)  # a hard link: truncating one truncates both
    data = latest.read_bytes()
    with open(latest, "r+b") as f:
        f.truncate(len(data) // 2)
    with pytest.raises(ArtganError) as err:
        resume_config(tmp_path / "r", [])
    msg = str(err.value)
    assert "truncated or corrupt" in msg and "weights_only" not in msg
    offered = msg.split("pass to --resume: ")[1].split(", ")
    assert offered == [str(folder / "ckpt_0000002.pt"), str(folder / "ckpt_0000001.pt")]
