"""Model cards: the markdown file ``artgan export`` writes beside the weights.

Like a model hub's card: what the model is, what it was trained on and for how long,
the latest quality numbers the run logged (with the sample count they were measured
at), and the commands that reproduce its samples. Everything comes from the checkpoint
and the run folder; nothing is typed by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from artgan import __version__
from artgan.io.checkpoint import find_checkpoint, load_checkpoint
from artgan.io.jsonl import read_jsonl
from artgan.io.weights import file_sha256


def latest_quality(run_dir: Path) -> dict[str, Any] | None:
    """The last row of ``metrics.jsonl`` with an FID (the training-time monitor's)."""
    rows = [r for r in read_jsonl(run_dir / "metrics.jsonl") if "fid" in r]
    return rows[-1] if rows else None


def model_card(source: str | Path, export: str | Path) -> str:
    """Markdown describing the generator exported from ``source`` (a run folder or a
    training checkpoint) to ``export``."""
    export = Path(export)
    ckpt_path, run_dir = find_checkpoint(source)
    ckpt = load_checkpoint(ckpt_path)
    cfg, data = ckpt["config"], ckpt.get("data", {})
    model, res = cfg["model"], cfg["data"]["resolution"]
    hours = float(ckpt.get("train_seconds", 0.0)) / 3600
    lines = [
        f"# {model['name']} generator, {res}×{res} px",
        "",
        f"Exported by artgan {__version__} from `{ckpt_path}` (training step {ckpt['step']}).",
        "",
        "| | |",
        "|---|---|",
        f"| model | {model['name']} |",
        f"| resolution | {res} px |",
        f"| training | {ckpt['step']} generator steps, {hours:.2f} h of training time, "
        f"batch {cfg['train']['batch_size']}, precision {cfg['train']['precision']} |",
        f"| data | {data.get('n_images', '?')} images from `{data.get('source', '?')}` "
        f"({data.get('n_train', '?')} trained on, {data.get('n_test', '?')} held out) |",
        f"| classes | {', '.join(data.get('class_names', [])) or 'none (unlabelled)'} |",
        f"| file | `{export.name}`, {export.stat().st_size / 1e6:.1f} MB, "
        f"sha256 `{file_sha256(export)}` |",
    ]
    q = latest_quality(run_dir)
    if q is not None:
        kid = f", KID {q['kid']:.4f}" if "kid" in q else ""
        lines += ["", "## Quality", "",
                  f"At step {q['step']} the training monitor measured FID {q['fid']:.1f}{kid} "
                  f"on {q.get('n_fake', '?')} samples against the held-out paintings (few "
                  "samples bias FID upwards; `artgan evaluate` measures it on 2,000 with the "
                  "real-vs-real floor beside it)."]  # fmt: skip
    lines += ["", "## Use", "", "```bash",
              f"artgan generate {export} --n 16 --seed 0   # the same images on any machine",
              f"artgan studio {export}", "```", "",
              "## Config", "", "```yaml", yaml.safe_dump(cfg, sort_keys=False).rstrip(), "```",
              "", "Made from public-domain paintings only if its data was; check the data's "
              "licence before sharing what it makes.", ""]  # fmt: skip
    return "\n".join(lines)
