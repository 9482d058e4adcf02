"""The studio's web app (FastAPI): one HTML page and a small JSON/PNG API.

    GET  /                      the page (static/index.html; no external assets)
    GET  /api/info              model, resolution, code names, encoder or not
    GET  /api/codes?seed=&truncation=   the code values a seed draws
    POST /api/render            Recipe JSON → PNG preview (fast path)
    GET  /api/download?q=JSON   exact PNG with seed, codes and command in its metadata
    POST /api/keep              Recipe JSON → exact PNG stored in the gallery
    POST /api/interpolate       {"a": id, "b": id, "steps", "fps"} → GIF in the gallery
    POST /api/project           multipart painting → reconstruction (gallery) + latent id
    GET  /api/gallery           gallery entries;  GET /gallery/NAME  one file

Errors are JSON ``{"error": message}`` with a 4xx status; the page shows the message.
Torch work runs on worker threads (one at a time: the engine holds a lock), so the event
loop keeps answering cheap requests while a render or projection runs.
GET endpoints have no side effects; POSTs take JSON (or the upload's multipart form) and
the per-start token the page carries; foreign hosts and origins are refused
(:mod:`artgan.studio.guard`).
"""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from PIL import Image
from starlette.exceptions import HTTPException as StarletteHTTPException

from artgan.errors import ArtganError
from artgan.studio.engine import Recipe, StudioEngine, finite, integer
from artgan.studio.gallery import Gallery
from artgan.studio.guard import LOOPBACK_NAMES, StudioGuard, new_token

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000  # a decompression bomb is refused before decoding
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"}


class UploadError(ArtganError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def read_painting(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> Image.Image:
    """Check an upload by its content (not its name or declared type) and decode it."""
    if not data:
        raise UploadError("the uploaded file is empty", 400)
    if len(data) > max_bytes:
        raise UploadError(f"the file is {_size(len(data))}; the limit is {_size(max_bytes)}", 413)
    try:
        probe = Image.open(io.BytesIO(data))
        fmt = probe.format
        if probe.width * probe.height > MAX_UPLOAD_PIXELS:
            raise UploadError(f"the image is {probe.width}×{probe.height}: too many pixels", 413)
        probe.verify()  # structure check; verify() leaves the image unusable
        image = Image.open(io.BytesIO(data))
        image.load()
    except UploadError:
        raise
    except Exception:
        raise UploadError(
            "that file is not an image we can read (use PNG, JPEG, WebP, BMP, GIF or TIFF)", 415
        ) from None
    if fmt not in IMAGE_FORMATS:
        raise UploadError(f"{fmt} images are not accepted (use PNG, JPEG, WebP, BMP, GIF)", 415)
    return image


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.1f} KB"


async def _json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object; another content type is a 415, anything but
    an object a 400 (both with a message)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise UploadError("send the request as application/json", 415)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArtganError("the request body is not JSON") from None
    except RecursionError:
        raise ArtganError("the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ArtganError("the request body must be a JSON object")
    return body


async def _recipe(request: Request) -> Recipe:
    """The request's JSON body as a recipe."""
    return Recipe.from_json(await _json_object(request))


def create_app(
    engine: StudioEngine,
    studio_dir: str | Path,
    token: str | None = None,
    allowed_hosts: frozenset[str] | None = LOOPBACK_NAMES,
) -> FastAPI:
    """The studio app. ``token``: what POSTs must carry in ``X-Artgan-Token`` (a fresh
    one by default; ``app.state.token``); ``allowed_hosts``: the Host names served
    (None: any, for ``--allow-remote``)."""
    app = FastAPI(title="artgan studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = token = token or new_token()
    app.add_middleware(StudioGuard, token=token, allowed_hosts=allowed_hosts)
    gallery = Gallery(studio_dir)
    page = resources.files("artgan.studio").joinpath("static/index.html").read_text()
    page = page.replace("__ARTGAN_TOKEN__", token)

    @app.exception_handler(ArtganError)
    async def _artgan_error(request: Request, exc: ArtganError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=getattr(exc, "status", 400))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # 404 / 405 from routing, in the same {"error": …} form as every other answer
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _bad_query(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own check of query parameters, in the studio's one-message form
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid')}"}, 400)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page

    _image_routes(app, engine, gallery)
    _gallery_routes(app, engine, gallery)
    return app


def _image_routes(app: FastAPI, engine: StudioEngine, gallery: Gallery) -> None:
    """Model facts, previews, exact downloads, kept images and interpolation GIFs."""

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        return engine.info()

    @app.get("/api/codes")
    def codes(seed: int = 0, truncation: float | None = None) -> dict[str, float]:
        return engine.seed_codes(seed, truncation or None)

    @app.post("/api/render")
    async def render(request: Request) -> Response:
        recipe = await _recipe(request)
        return Response(await run_in_threadpool(engine.png, recipe), media_type="image/png")

    @app.get("/api/download")
    def download(q: str) -> Response:
        try:
            body = json.loads(q)
        except (json.JSONDecodeError, RecursionError):
            raise ArtganError("q must be a JSON recipe") from None
        if not isinstance(body, dict):
            raise ArtganError("q must be a JSON object (a recipe)")
        recipe = Recipe.from_json(body)
        # No gallery entry: a GET has no side effects (another page could fill the disk
        # with <img> tags otherwise); "Keep" stores an image.
        data = engine.png(recipe, exact=True, fast_encode=False)
        name = f"artgan-seed{recipe.seed}.png" if recipe.projection is None else "artgan-edit.png"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type="image/png", headers=headers)

    @app.post("/api/keep")
    async def keep(request: Request) -> dict[str, Any]:
        recipe = await _recipe(request)
        data = await run_in_threadpool(engine.png, recipe, True, False)  # exact, best PNG
        return await run_in_threadpool(gallery.add, data, "kept", "png", recipe.__dict__)

    @app.post("/api/interpolate")
    async def interpolate(request: Request) -> dict[str, Any]:
        body = await _json_object(request)
        if "a" not in body or "b" not in body:
            raise ArtganError("interpolate needs gallery ids a and b (and steps, fps)")
        a, b = integer(body["a"], "a", 1, 10**9), integer(body["b"], "b", 1, 10**9)
        steps = integer(body.get("steps", 16), "steps", 2, 120)
        fps = finite(body.get("fps", 12), "fps", 1, 60)
        ra, rb = Recipe.from_json(gallery.recipe(a)), Recipe.from_json(gallery.recipe(b))
        data = await run_in_threadpool(engine.interpolation_gif, ra, rb, steps, fps)
        return gallery.add(data, "path", "gif", {"a": a, "b": b, "steps": steps, "fps": fps})


def _gallery_routes(app: FastAPI, engine: StudioEngine, gallery: Gallery) -> None:
    """Projecting an uploaded painting, and reading the gallery."""

    @app.post("/api/project")
    async def project(request: Request) -> dict[str, Any]:
        # Without a length (a chunked upload) the form parser would spool any amount to
        # disk before the size check; browsers always send one for a file form.
        try:
            length = int(request.headers["content-length"])
        except (KeyError, ValueError):
            raise UploadError("send the upload with a Content-Length", 411) from None
        if length > MAX_UPLOAD_BYTES + 64 * 1024:  # refuse before reading the body
            raise UploadError(f"the upload is larger than {_size(MAX_UPLOAD_BYTES)}", 413)
        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("painting")
        if upload is None or isinstance(upload, str):
            raise UploadError("choose an image file to upload", 400)
        # Read one byte past the limit, so an oversized file is recognised as such.
        image = read_painting(await upload.read(MAX_UPLOAD_BYTES + 1), MAX_UPLOAD_BYTES)
        pid, recon, codes = await run_in_threadpool(engine.project_image, image)
        buf = io.BytesIO()
        Image.fromarray(recon).save(buf, format="PNG")
        entry = gallery.add(buf.getvalue(), "projection", "png", {"projection": pid,
                                                                   "codes": codes})  # fmt: skip
        return {"projection": pid, "codes": codes, "recon": f"/gallery/{entry['file']}",
                "entry": entry}  # fmt: skip

    @app.get("/api/gallery")
    def gallery_list() -> list[dict[str, Any]]:
        return gallery.items()

    @app.get("/gallery/{name}")
    def gallery_file(name: str) -> FileResponse:
        return FileResponse(gallery.path(name))
