"""Fuzzing the studio's API with hypothesis: arbitrary JSON (and recipe-shaped JSON with
hostile values) to every POST endpoint, arbitrary query strings to the GET ones. Every
answer is a 2xx or a 4xx with a JSON error message; never a 500, and the gallery index
never holds a non-finite number.

The endpoints read their bodies themselves (to give one-line messages), so the OpenAPI
schema FastAPI would publish describes no bodies; the strategies below are the schema:
the recipe's fields with values of every JSON type, plus unstructured JSON."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artgan.studio import StudioEngine
from artgan.studio.app import create_app

fastapi_testclient = pytest.importorskip("fastapi.testclient")

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
)  # fmt: skip
json_value = st.recursive(json_scalar, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=6), kids, max_size=4)),
    max_leaves=12)  # fmt: skip
code_names = st.sampled_from(["cat", "c1", "c2", "c9", ""])
recipe = st.fixed_dictionaries({}, optional={
    "seed": json_value, "projection": json_value, "truncation": json_value,
    "equalize": json_value, "upscale": json_value,
    "codes": st.one_of(json_value, st.dictionaries(code_names, json_scalar, max_size=3)),
})  # fmt: skip
body = st.one_of(
    recipe,
    json_value,
    st.fixed_dictionaries(
        {"a": json_scalar, "b": json_scalar}, optional={"steps": json_scalar, "fps": json_scalar}
    ),
)


@pytest.fixture(scope="module")
def client(trained_run, tmp_path_factory):
    studio = tmp_path_factory.mktemp("fuzz-studio")
    app = create_app(StudioEngine(trained_run, precision="fp32"), studio)
    with fastapi_testclient.TestClient(app, base_url="http://127.0.0.1:7860") as c:
        c.headers["X-Artgan-Token"] = app.state.token
        c.post("/api/keep", json={"seed": 1})  # gallery items 1 and 2 for /api/interpolate
        c.post("/api/keep", json={"seed": 2})
        c.studio = studio
        yield c


def _check(r) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert isinstance(r.json()["error"], str) and r.json()["error"]


FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])  # fmt: skip


@FUZZ
@given(path=st.sampled_from(["/api/render", "/api/keep", "/api/interpolate"]), data=body)
def test_post_endpoints_never_500(client, path, data):
    # allow_nan: Python's json (the server's parser) reads NaN/Infinity, so send them
    raw = json.dumps(data, allow_nan=True).encode()
    _check(client.post(path, content=raw, headers={"content-type": "application/json"}))
    index = client.studio / "gallery" / "index.jsonl"
    text = index.read_text()
    assert "NaN" not in text and "Infinity" not in text


@FUZZ
@given(seed=st.text(max_size=25), truncation=st.text(max_size=8), q=st.text(max_size=40))
def test_get_endpoints_never_500(client, seed, truncation, q):
    _check(client.get("/api/codes", params={"seed": seed, "truncation": truncation}))
    _check(client.get("/api/download", params={"q": q}))
    _check(client.get(f"/gallery/{quote(q, safe='') or 'x'}"))
