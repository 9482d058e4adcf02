"""artgan studio's API (in-process HTTP client): rendering, codes, exact downloads that
`artgan generate` reproduces, uploads, the gallery and interpolation GIFs."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from artgan.cli import main
from artgan.studio import StudioEngine
from artgan.studio.app import create_app
from artgan.studio.server import studio_folder

fastapi_testclient = pytest.importorskip("fastapi.testclient")


@pytest.fixture()
def client(trained_run, tmp_path):
    engine = StudioEngine(trained_run, precision="bf16")
    app = create_app(engine, tmp_path / "studio")
    # The page's own origin and the token it carries (artgan.studio.guard)
    with fastapi_testclient.TestClient(app, base_url="http://127.0.0.1:7860") as c:
        c.headers["X-Artgan-Token"] = app.state.token
        c.engine = engine
        c.studio = tmp_path / "studio"
        yield c


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_page_and_info(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="image"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no external assets
    info = client.get("/api/info").json()
    assert info["codes"] == ["cat", "c1", "c2"] and info["category_names"] == ["a", "b"]
    assert info["has_encoder"] and info["resolution"] == 16
    assert info["truncation"] is True
    assert "info.truncation" in page.text  # the page hides the slider when it is False


def test_an_iterative_model_offers_no_truncation(tmp_path, tiny_data):
    from artgan.config import resolve
    from artgan.train import Trainer
    from helpers import TINY_TRAIN

    ddpm = {"g_channels": 8, "channel_mult": "1,2", "attn_resolutions": "", "timesteps": 10,
            "num_res_blocks": 1, "sample_steps": 2}  # fmt: skip
    cfg = resolve("ddpm", None, [{"data": {"resolution": 16}, "model": ddpm,
                                  "train": TINY_TRAIN}])  # fmt: skip
    Trainer(cfg, tmp_path / "ddpm", dataset=tiny_data).fit(until_step=1)
    info = StudioEngine(tmp_path / "ddpm", precision="fp32").info()
    assert info["model"] == "ddpm" and info["truncation"] is False


def test_codes_change_the_image_and_the_seed_codes_are_the_default(client):
    codes = client.get("/api/codes", params={"seed": 5}).json()
    base = client.post("/api/render", json={"seed": 5}).content
    same = client.post("/api/render", json={"seed": 5, "codes": codes}).content
    assert np.array_equal(_pixels(base), _pixels(same))
    moved = client.post("/api/render", json={"seed": 5, "codes": {**codes, "c1": -codes["c1"]}})
    other_cat = client.post(
        "/api/render", json={"seed": 5, "codes": {**codes, "cat": 1 - codes["cat"]}}
    )
    assert not np.array_equal(_pixels(base), _pixels(moved.content))
    assert not np.array_equal(_pixels(base), _pixels(other_cat.content))
    assert _pixels(base).shape == (16, 16, 3)


def test_bad_requests_get_clear_errors(client):
    r = client.post("/api/render", json={"seed": 1, "codes": {"c9": 0.5}})
    assert r.status_code == 400 and "unknown code" in r.json()["error"]
    r = client.post("/api/render", json={"seed": 1, "codes": {"cat": 7}})
    assert r.status_code == 400 and "cat must be an integer from 0 to 1" in r.json()["error"]
    r = client.post("/api/render", json={"seed": 1, "upscale": 3})
    assert r.status_code == 400 and "upscale must be one of" in r.json()["error"]
    r = client.post(
        "/api/render", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "not JSON" in r.json()["error"]


def test_download_is_reproduced_exactly_by_artgan_generate(client, trained_run, tmp_path):
    recipe = {"seed": 11, "truncation": 0.8, "codes": {"cat": 1, "c1": 0.37, "c2": -0.61}}
    r = client.get("/api/download", params={"q": json.dumps(recipe)})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    png = Image.open(io.BytesIO(r.content))
    cmd = png.text["artgan:command"].split()
    assert cmd[:3] == ["artgan", "generate", str(trained_run)]
    out = tmp_path / "gen"
    assert main([*cmd[1:], "--out", str(out)]) == 0
    again = np.asarray(Image.open(out / "seed000011.png").convert("RGB"))
    assert np.array_equal(np.asarray(png.convert("RGB")), again)
    # The exact path is fp32; the bf16 preview is close but not what is downloaded.
    preview = _pixels(client.post("/api/render", json=recipe).content)
    assert np.abs(preview.astype(int) - again.astype(int)).mean() < 8
    # a GET has no side effects: the download is not stored in the gallery
    assert all(e["kind"] != "download" for e in client.get("/api/gallery").json())


def test_postprocessing_equalises_and_upscales(client):
    plain = _pixels(client.post("/api/render", json={"seed": 2}).content)
    big = _pixels(client.post("/api/render", json={"seed": 2, "upscale": 4}).content)
    eq = _pixels(client.post("/api/render", json={"seed": 2, "equalize": True}).content)
    assert big.shape == (64, 64, 3)
    assert eq.max() - eq.min() >= plain.max() - plain.min()  # stretches the histogram
    assert not np.array_equal(eq, plain)


def test_upload_projects_a_painting_and_its_codes_can_be_edited(client, trained_run, tiny_data):
    buf = io.BytesIO()
    Image.fromarray(tiny_data.images[3]).resize((40, 30)).save(buf, format="JPEG")
    r = client.post("/api/project", files={"painting": ("p.jpg", buf.getvalue(), "image/jpeg")})
    assert r.status_code == 200, r.text
    res = r.json()
    assert set(res["codes"]) == {"cat", "c1", "c2"}
    recon = _pixels(client.get(res["recon"]).content)
    assert recon.shape == (16, 16, 3)
    edited = client.post("/api/render", json={"projection": res["projection"],
                                               "codes": {**res["codes"], "c2": 0.9}})  # fmt: skip
    assert edited.status_code == 200
    same = client.post("/api/render", json={"projection": res["projection"], "codes": res["codes"]})
    assert not np.array_equal(_pixels(edited.content), _pixels(same.content))


@pytest.mark.parametrize(
    "payload, status, message",
    [(b"hello, not an image", 415, "not an image"),
     (b"", 400, "empty"),
     (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 415, "not an image")],
)  # fmt: skip
def test_uploads_are_checked_by_content(client, payload, status, message):
    r = client.post("/api/project", files={"painting": ("x.png", payload, "image/png")})
    assert r.status_code == status and message in r.json()["error"]


def test_upload_size_limit(client, monkeypatch):
    monkeypatch.setattr("artgan.studio.app.MAX_UPLOAD_BYTES", 1000)
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        buf, "PNG"
    )
    r = client.post("/api/project", files={"painting": ("big.png", buf.getvalue(), "image/png")})
    assert r.status_code == 413
    assert "the limit is 1.0 KB" in r.json()["error"] or "larger than" in r.json()["error"]


def test_gallery_keeps_files_inside_the_studio_folder(client):
    kept = [client.post("/api/keep", json={"seed": s}).json() for s in (1, 2)]
    files = sorted(p.name for p in (client.studio / "gallery").iterdir())
    assert [k["file"] for k in kept] == ["0001-kept.png", "0002-kept.png"]
    assert set(files) == {"0001-kept.png", "0002-kept.png", "index.jsonl"}
    for bad in ("..%2Findex.jsonl", "..%2F..%2Fconfig.yaml", "index.jsonl", "0001-kept.png.bak"):
        assert client.get(f"/gallery/{bad}").status_code in (400, 404)
    gif = client.post("/api/interpolate", json={"a": 1, "b": 2, "steps": 5}).json()
    im = Image.open(client.studio / "gallery" / gif["file"])
    assert im.format == "GIF" and im.n_frames == 8  # 5 forward + 3 back (ping-pong)


def test_studio_folder_defaults(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert studio_folder(run) == run / "studio"
    assert studio_folder(run / "checkpoints" / "ckpt_0000002.pt") == run / "studio"
    assert studio_folder(tmp_path / "gen.pt") == tmp_path / "studio-gen"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [("/api/render", b'{"seed": 1e400}', "seed must be an integer"),
     ("/api/render", b'{"seed": 1.7}', "seed must be an integer"),
     ("/api/render", b'{"seed": -1}', "seed must be an integer from 0"),
     ("/api/render", b'{"codes": {"cat": NaN}}', "finite number"),
     ("/api/render", b'{"codes": {"cat": Infinity}}', "finite number"),
     ("/api/render", b'{"codes": {"c1": NaN}}', "finite number"),
     ("/api/render", b'{"codes": {"c1": 1e308}}', "c1 must lie within"),
     ("/api/render", b'{"codes": [1, 2]}', "codes must be an object"),
     ("/api/render", b'{"projection": {}}', "projection must be"),
     ("/api/render", b'{"truncation": 1e9}', "truncation must lie in"),
     ("/api/render", b'{"truncation": NaN}', "truncation must be a finite"),
     ("/api/render", b'{"equalize": "no"}', "equalize must be true or false"),
     ("/api/render", b'{"sede": 3}', "unknown recipe field"),
     ("/api/render", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
     ("/api/keep", b'{"codes": {"c2": NaN}}', "finite number"),
     ("/api/interpolate", b"{oops", "not JSON"),
     ("/api/interpolate", b'{"a": 1, "b": 1, "fps": NaN}', "fps must be a finite"),
     ("/api/interpolate", b'{"a": 1}', "needs gallery ids")],
)  # fmt: skip
def test_odd_values_are_400s_with_a_message_never_500s(client, path, body, message):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    assert all("NaN" not in line for line in _index_lines(client))


def test_odd_query_values_are_400s(client):
    for params, message in (({"seed": 2**70}, "seed must be an integer"),
                            ({"truncation": "nan"}, "truncation must be")):  # fmt: skip
        r = client.get("/api/codes", params=params)
        assert r.status_code == 400 and message in r.json()["error"]


def _index_lines(client) -> list[str]:
    index = client.studio / "gallery" / "index.jsonl"
    return index.read_text().splitlines() if index.exists() else []


def test_a_torn_gallery_index_line_does_not_break_the_gallery(client):
    first = client.post("/api/keep", json={"seed": 1}).json()
    index = client.studio / "gallery" / "index.jsonl"
    with open(index, "ab") as f:
        f.write(b'{"id": 2, "file": "0002-kept.png", "ki')  # a crash mid-append
    second = client.post("/api/keep", json={"seed": 2})
    assert second.status_code == 200 and second.json()["id"] == first["id"] + 1
    listed = client.get("/api/gallery").json()
    assert [e["id"] for e in listed] == [first["id"], first["id"] + 1]
    gif = client.post("/api/interpolate", json={"a": first["id"], "b": first["id"] + 1})
    assert gif.status_code == 200


def test_a_distilled_preview_draws_the_sliders_and_the_model_the_downloads(trained_run, tmp_path):
    from artgan.io.images import to_uint8
    from artgan.runtime import Runtime
    from artgan.sampling import generate, load_generator
    from artgan.studio.engine import Recipe
    from artgan.train.distill import DistillOptions, distill
    from helpers import THREADS

    opts = DistillOptions(steps=3, batch_size=8, channels=8, max_channels=32,
                          perceptual_weight=0.0)  # fmt: skip
    student = distill(trained_run, tmp_path / "s.pt", opts, "fp32", "cpu", THREADS, False).path
    engine = StudioEngine(trained_run, precision="fp32", preview=student)
    assert engine.info()["preview_model"] == "dcgan" and engine.info()["model"] == "migan"
    r = Recipe(seed=4, codes={"cat": 1.0, "c1": 0.25})
    z = engine.latent(r)
    rt = Runtime(engine.exact_rt.device, "fp32", channels_last=True)
    assert np.array_equal(engine.render(r), to_uint8(generate(load_generator(student), z, rt))[0])
    assert np.array_equal(engine.render(r, exact=True),
                          to_uint8(generate(load_generator(trained_run), z, rt))[0])  # fmt: skip


def test_a_preview_of_another_latent_layout_is_refused(trained_run, tmp_path, tiny_data):
    from artgan.errors import ArtganError
    from artgan.train import Trainer
    from helpers import tiny_config

    Trainer(tiny_config(), tmp_path / "dcgan", dataset=tiny_data).fit(until_step=1)
    with pytest.raises(ArtganError, match="does not fit"):
        StudioEngine(trained_run, precision="fp32", preview=tmp_path / "dcgan")
