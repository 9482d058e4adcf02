"""The studio over real HTTP against a running server: other web pages cannot drive it
(foreign Host as in DNS rebinding, cross-site Origin, text/plain and form POSTs without
preflight, missing token, GETs that must not write), plus the pure rules; and a render
in progress does not block the server."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time

import pytest

from artgan.errors import ArtganError
from artgan.studio.guard import LOOPBACK_NAMES, host_name, refusal
from artgan.studio.server import make_server, serve_in_thread

pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def studio(trained_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("guarded")
    server, url, engine = make_server(trained_run, port=0, out=out, precision="fp32")
    thread = serve_in_thread(server)
    port = server.servers[0].sockets[0].getsockname()[1]
    page = _request(port, "GET", "/")[2]
    token = re.search(r'name="artgan-token" content="([^"]+)"', page.decode()).group(1)
    yield port, token, out / "gallery", engine
    server.should_exit = True
    thread.join(timeout=10)


def _request(port: int, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data


def _entries(gallery) -> int:
    index = gallery / "index.jsonl"
    return len(index.read_text().splitlines()) if index.exists() else 0


def test_the_issue_reproduction_is_refused_and_writes_nothing(studio):
    port, _, gallery, _ = studio
    before = _entries(gallery)
    status, _, body = _request(port, "POST", "/api/keep", b'{"seed":77}', {
        "Host": "evil.example", "Origin": "http://evil.example",
        "Content-Type": "text/plain"})  # fmt: skip
    assert status == 403 and "host 'evil.example'" in json.loads(body)["error"]
    assert _entries(gallery) == before


@pytest.mark.parametrize(
    ("headers", "message"),
    [({"Origin": "http://evil.example"}, "cross-site request from http://evil.example"),
     ({"Sec-Fetch-Site": "cross-site"}, "cross-site request"),
     ({}, "token")],
)  # fmt: skip
def test_posts_need_same_origin_and_the_token(studio, headers, message):
    port, token, gallery, _ = studio
    before = _entries(gallery)
    base = {"Content-Type": "application/json"}
    if "Origin" in headers or "Sec-Fetch-Site" in headers:
        base["X-Artgan-Token"] = token  # even with the token, a cross-site request fails
    status, _, body = _request(port, "POST", "/api/keep", b'{"seed": 3}', {**base, **headers})
    assert status == 403 and message in json.loads(body)["error"]
    assert _entries(gallery) == before


def test_the_page_own_requests_pass_and_other_content_types_do_not(studio):
    port, token, gallery, _ = studio
    same = {"Origin": f"http://127.0.0.1:{port}", "X-Artgan-Token": token,
            "Sec-Fetch-Site": "same-origin"}  # fmt: skip
    before = _entries(gallery)
    ok = _request(port, "POST", "/api/keep", b'{"seed": 3}',
                  {**same, "Content-Type": "application/json"})  # fmt: skip
    assert ok[0] == 200 and _entries(gallery) == before + 1
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        status, _, body = _request(port, "POST", "/api/keep", b'{"seed": 3}',
                                   {**same, "Content-Type": kind})  # fmt: skip
        assert status == 415 and "application/json" in json.loads(body)["error"]
    assert _entries(gallery) == before + 1


def test_gets_have_no_side_effects_and_foreign_hosts_cannot_read(studio):
    port, _, gallery, _ = studio
    before = _entries(gallery)
    q = "/api/download?q=" + "%7B%22seed%22%3A5%7D"
    for _ in range(3):
        status, headers, body = _request(port, "GET", q)
        assert status == 200 and body[:4] == b"\x89PNG"
    assert _entries(gallery) == before
    # DNS rebinding: the attacker's name resolving to 127.0.0.1 cannot read the gallery
    status, _, body = _request(port, "GET", "/api/gallery", headers={"Host": "evil.example:80"})
    assert status == 403 and b"evil.example" in body
    assert _request(port, "GET", "/api/info", headers={"Host": f"localhost:{port}"})[0] == 200
    assert _request(port, "GET", "/api/keep")[0] == 405  # state changes are POST-only


def test_remote_hosts_need_allow_remote(trained_run):
    with pytest.raises(ArtganError, match="--allow-remote"):
        make_server(trained_run, host="0.0.0.0", port=0)
    with pytest.raises(ArtganError, match="not a TCP port"):
        make_server(trained_run, port=70000)


def test_host_names_and_rules():
    assert host_name("127.0.0.1:7860") == "127.0.0.1"
    assert host_name("[::1]:7860") == "::1"
    assert host_name("LOCALHOST") == "localhost"
    assert host_name("evil.example") == "evil.example"
    h = {"host": "localhost:9"}
    assert refusal(h, "GET", "t", LOOPBACK_NAMES) is None
    assert refusal(h, "POST", "t", LOOPBACK_NAMES) is not None  # no token
    assert refusal({**h, "x-artgan-token": "t"}, "POST", "t", LOOPBACK_NAMES) is None
    # --allow-remote: any Host, but the token and same-origin rules still hold
    assert refusal({"host": "box.lan:9"}, "GET", "t", None) is None
    assert refusal({"host": "box.lan:9", "x-artgan-token": "t", "origin": "http://x"},
                   "POST", "t", None) is not None  # fmt: skip


def test_a_render_in_progress_does_not_block_other_requests(studio):
    port, token, _, engine = studio
    headers = {"Content-Type": "application/json", "X-Artgan-Token": token}
    result: list[int] = []
    with engine._lock:  # the render below waits for torch, as behind a slow render
        t = threading.Thread(target=lambda: result.append(
            _request(port, "POST", "/api/render", b'{"seed": 4}', headers)[0]))  # fmt: skip
        t.start()
        time.sleep(0.3)  # the render request has arrived and is waiting
        assert _request(port, "GET", "/api/info")[0] == 200  # answered meanwhile
        assert not result  # ...while the render still waits
    t.join(timeout=60)
    assert result == [200]


def test_a_busy_port_is_a_clear_error(trained_run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ArtganError, match=f"port {port} on 127.0.0.1 is in use"):
            make_server(trained_run, port=port)


def test_a_host_it_cannot_listen_on_is_not_called_a_busy_port(trained_run):
    with pytest.raises(ArtganError, match="cannot listen on no-such-host.invalid:7860") as exc:
        make_server(trained_run, host="no-such-host.invalid", port=7860, allow_remote=True)
    assert "in use" not in str(exc.value)


def test_a_chunked_upload_is_refused_before_it_is_read(studio):
    port, token, _, _ = studio
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest("POST", "/api/project", skip_host=True)
    for k, v in {"Host": f"127.0.0.1:{port}", "X-Artgan-Token": token,
                 "Content-Type": "multipart/form-data; boundary=xx",
                 "Transfer-Encoding": "chunked"}.items():  # fmt: skip
        conn.putheader(k, v)
    conn.endheaders()
    chunk = b"--xx\r\nContent-Disposition: form-data; "
    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))  # the start of an endless body
    r = conn.getresponse()
    assert r.status == 411 and b"Content-Length" in r.read()
    conn.close()
