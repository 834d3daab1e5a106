"""The web editor's backend: a FastAPI app over one generator, its feature axes and (optionally) an extractor.

Stateless: every request carries the latent and the edits, so several browsers never share state.
Every input is validated (latent length and range, λ bounds, number of edits and locks, axis names) before the
model lock is taken; request bodies are capped (``MAX_BODY`` bytes, 413 otherwise) and an error never echoes
unbounded input. Requests must name this machine in their ``Host`` header (localhost names or the bound
address), so a web page on another origin cannot drive the editor through DNS rebinding. No request path reaches
the filesystem except the packaged static folder; the API docs page is off (it would load Swagger UI from a CDN):
the schema is at ``/openapi.json``.
"""

import asyncio
import base64
import copy
import io
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from PIL import Image
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator
from starlette.concurrency import run_in_threadpool

from ..config import MAX_SEED
from ..data.images import to_uint8
from ..errors import UserError
from ..extractors import predict_labels
from ..latent.axes import Axes
from ..latent.edit import MAX_LAMBDA, edit_latents, walk_until_seen

STATIC = Path(__file__).parent / "static"
MAX_IMAGE_BYTES = 8 * 2 ** 20   # uploads for /api/invert
MAX_IMAGE_PIXELS = 2048 * 2048  # decoded upload size (4.2 Mpx); the model sees R x R
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}  # upload type -> decoded format
MAX_ABS_Z = 8.0
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _max_body(z_dim: int, n_axes: int) -> int:
    """Request size cap: room for the latent (25 bytes a value), every axis edited and locked, and slack."""
    return 25 * z_dim + 200 * n_axes + 4096


def _short(names, k: int = 5, width: int = 40) -> str:
    """At most ``k`` names, each cut to ``width`` characters: error messages never echo unbounded input."""
    out = [n if len(n) <= width else n[:width] + "…" for n in list(names)[:k]]
    return ", ".join(out) + (f" (+{len(names) - k} more)" if len(names) > k else "")


class ErrorBody(BaseModel):
    """The body of every 4xx answer."""
    detail: str = Field(..., description="what was wrong with the request, in one sentence")


ERRORS = {code: {"model": ErrorBody} for code in (400, 403, 411, 413, 422)}


class RenderRequest(BaseModel):
    """A latent and the edits to apply to it (the server keeps no state: every request carries both)."""
    z: list[StrictFloat] = Field(..., description="the latent, length z_dim, each |z_i| <= 8")
    edits: dict[str, StrictFloat] = Field(default_factory=dict, description="axis name -> λ")
    lock: list[StrictStr] = Field(default_factory=list, description="axes the edits must not move")
    keep_norm: StrictBool = Field(False, description="rescale the edited latent to the prior's radius √z_dim")

    @field_validator("z")
    @classmethod
    def _finite_z(cls, v):
        if not all(math.isfinite(x) and abs(x) <= MAX_ABS_Z for x in v):
            raise ValueError(f"every latent value must be finite and within ±{MAX_ABS_Z}")
        return v

    @field_validator("edits")
    @classmethod
    def _finite_edits(cls, v):
        for k, x in v.items():
            if not math.isfinite(x) or abs(x) > MAX_LAMBDA:
                raise ValueError(f"λ for {k!r} must be finite and within ±{MAX_LAMBDA}")
        return v


class ReachRequest(BaseModel):
    """Which yes/no attribute /api/reach should walk to, and to which side."""
    axis: StrictStr = Field(..., max_length=200, description="a supervised yes/no axis the extractor reads")
    want: StrictInt = Field(..., ge=0, le=1, description="1: until the extractor reads the attribute; 0: its absence")


class LatentRequest(BaseModel):
    """A seed whose latent (N(0, I), as ``tlgan edit --seed``) the editor should start from."""
    seed: StrictInt = Field(..., ge=0, le=MAX_SEED)

    @field_validator("seed", mode="before")
    @classmethod
    def _integral(cls, v):
        """JSON Schema's integers include 3.0; strings and booleans stay refused."""
        return int(v) if isinstance(v, float) and v.is_integer() else v


def _png_data_url(img_uint8_chw: torch.Tensor) -> str:
    arr = img_uint8_chw.permute(1, 2, 0).numpy()
    im = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def decode_upload(data: bytes, channels: int, resolution: int, fmt: str) -> torch.Tensor:
    """An uploaded image file's bytes, declared as Pillow format ``fmt`` (PNG, JPEG or WEBP) -> (1, C, R, R) in
    [-1, 1], centre-cropped and resized. HTTPException 4xx for a file that is not a readable image of that format,
    is larger than ``MAX_IMAGE_PIXELS``, or has the wrong channel count."""
    from ..data.images import center_crop_resize, to_model_range
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise HTTPException(413, f"image too large ({im.width}x{im.height}; at most {MAX_IMAGE_PIXELS:,} "
                                         "pixels)")
            bands = len(im.getbands()) - (1 if im.mode in ("LA", "RGBA", "PA") else 0)
            if im.mode == "P":
                bands = 3
            if bands != channels:
                raise HTTPException(422, f"the model edits {channels}-channel images; this one has {bands}")
            arr = np.asarray(im.convert("RGB" if channels == 3 else "L"))
    except Image.DecompressionBombError:
        raise HTTPException(413, f"image too large (at most {MAX_IMAGE_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError):
        raise HTTPException(422, f"not a readable {fmt} image (the body must be the file its Content-Type names)") \
            from None
    small = center_crop_resize(arr if arr.ndim == 3 else arr[:, :, None], resolution)
    del arr  # the decoded full-size pixels go at once
    return to_model_range(torch.from_numpy(small.copy()).permute(2, 0, 1)[None])


def with_directions(axes: Axes, directions: Axes | None) -> tuple[Axes, dict[str, str]]:
    """One set for the editor: ``axes`` plus the unsupervised ``directions`` (names must not collide).
    Out: (combined Axes, name -> "supervised" | "unsupervised")."""
    groups = dict.fromkeys(axes.names, "supervised")
    if directions is None:
        return axes, groups
    combined = replace(axes, names=list(axes.names), vectors=axes.vectors.copy(), binary=list(axes.binary),
                       quality=dict(axes.quality))
    for name, v in zip(directions.names, directions.vectors, strict=True):
        combined.add(name, v, False, directions.quality.get(name, {}))
        groups[name] = "unsupervised"
    return combined, groups


# Every forward pass of a render (and the models' loading) runs on this one thread. PyTorch's OpenMP pool belongs to
# the thread that calls it: a second thread doing torch work gives the process a second pool, and with more pool
# threads than cores libgomp stops spinning between the many small parallel regions of a forward pass, so every
# render ran markedly slower (benchmarks/editor_g128.py measures both). Inversions keep their own thread (renders never
# wait for them) and pay that price only while one runs.
TORCH_THREAD = ThreadPoolExecutor(1, thread_name_prefix="tlgan-torch")


def create_app(generator, axes: Axes, extractor=None, title: str = "tlgan editor", default_lock=(),
               allowed_hosts=LOCAL_HOSTS, encoder=None, directions: Axes | None = None,
               upload_threshold_db: float | None = None) -> FastAPI:
    """Build the editor app. ``generator``: tlgan.generator.Generator; ``axes``: Axes; ``extractor``: optional.

    ``allowed_hosts``: the ``Host`` header values accepted (None: any, for a server deliberately exposed).
    ``encoder``: the inversion encoder uploads are inverted with (hybrid); without one, 300 optimisation steps.
    ``directions``: unsupervised directions (GANSpace / SeFa) shown as a second slider panel.
    ``upload_threshold_db``: an upload reconstructed below this PSNR gets a warning (it is unlike what the model
    draws; :mod:`tlgan.latent.upload_check`, measured when an encoder is trained)."""
    axes.check_latent(generator.z_dim)
    if directions is not None:
        directions.check_latent(generator.z_dim)
    method = directions.method if directions is not None else None
    axes, groups = with_directions(axes, directions)
    app = FastAPI(title=title, version="1", description="TL-GAN latent editor: sliders over feature axes.",
                  docs_url=None, redoc_url=None, responses=ERRORS)

    class Render(RenderRequest):
        z: list[StrictFloat] = Field(..., min_length=generator.z_dim, max_length=generator.z_dim,
                                     description=f"the latent: {generator.z_dim} numbers, each |z_i| <= {MAX_ABS_Z}")
    model_lock = threading.Lock()  # one forward pass at a time: predictable latency on few cores
    invert_lock = threading.Lock()  # one upload inverted at a time, on copies of the networks (renders never wait)
    inv_generator, inv_encoder, inv_extractor = (copy.deepcopy(m) if m is not None else None
                                                 for m in (generator, encoder, extractor))
    known = set(axes.names)
    reachable = {n for n, b in zip(axes.names, axes.binary, strict=True)  # axes /api/reach can walk
                 if b and groups[n] == "supervised" and extractor is not None and n in extractor.label_names}
    max_body = _max_body(generator.z_dim, len(axes.names))
    hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    @app.middleware("http")
    async def _guard(request: Request, call_next):
        if hosts is not None:
            host = request.headers.get("host", "").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in hosts:
                return JSONResponse({"detail": "unexpected Host header: this editor serves its own machine only"},
                                    status_code=403)
        size = request.headers.get("content-length")
        limit = MAX_IMAGE_BYTES if request.url.path == "/api/invert" else max_body
        if size is not None and (not size.isdigit() or int(size) > limit):
            return JSONResponse({"detail": f"request body too large (limit {limit} bytes)"}, status_code=413)
        if request.method == "POST" and size is None:
            return JSONResponse({"detail": "a Content-Length header is required"}, status_code=411)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        msgs = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            msgs.append(f"{loc[:60]}: {str(e.get('msg'))[:200]}" if loc else str(e.get("msg"))[:200])
        return JSONResponse({"detail": "; ".join(msgs) or "invalid request"}, status_code=422)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info")
    def info():
        """Model description: axes (name, type, held-out quality, whether /api/reach walks it), latent size,
        resolution, extractor labels."""
        return {"title": title, "z_dim": generator.z_dim, "resolution": generator.resolution,
                "max_lambda": MAX_LAMBDA, "max_abs_z": MAX_ABS_Z, "default_lock": list(default_lock),
                "axes": [{"name": n, "binary": b, "quality": axes.quality.get(n, {}), "group": groups[n],
                          "reachable": n in reachable} for n, b in zip(axes.names, axes.binary, strict=True)],
                "directions_method": method,
                "labels": [{"name": n, "binary": b}
                           for n, b in zip(extractor.label_names, extractor.binary, strict=True)]
                if extractor is not None else [],
                "generator_hash": generator.content_hash, "invert": "hybrid" if encoder is not None else "opt"}

    @app.post("/api/latent")
    def latent(req: LatentRequest):
        """The prior latent for a seed (the same one `tlgan edit --seed` uses)."""
        return {"seed": req.seed, "z": generator.latents(1, req.seed)[0].tolist()}

    def checked(req: Render) -> tuple[torch.Tensor, dict[str, float]]:
        """A render request's latent (1, z_dim) and non-zero edits; HTTP 422 for too many or unknown axis names."""
        if len(req.edits) > len(axes.names) or len(req.lock) > len(axes.names):
            raise HTTPException(422, f"at most {len(axes.names)} edits and {len(axes.names)} locks")
        unknown = sorted((set(req.edits) | set(req.lock)) - known)
        if unknown:
            raise HTTPException(422, f"unknown axis name(s): {_short(unknown)}")
        return torch.tensor([req.z], dtype=torch.float32), {k: v for k, v in req.edits.items() if v != 0.0}

    @app.post("/api/render")
    async def render(req: Render):
        """Render z edited by ``edits`` (locked axes projected out); the image and predicted attributes."""
        z, edits = checked(req)
        def forward():
            with model_lock, torch.inference_mode():
                z1 = edit_latents(z, axes, edits, req.lock, req.keep_norm)
                x = generator(z1)
                attrs = {}
                if extractor is not None:
                    y = predict_labels(extractor, generator.to_signed(x), probabilities=True)[0]
                    attrs = dict(zip(extractor.label_names, y.tolist(), strict=True))
            return {"image": _png_data_url(to_uint8(x, generator.value_range)[0]), "attributes": attrs,
                    "z_edited": z1[0].tolist()}
        return await asyncio.get_running_loop().run_in_executor(TORCH_THREAD, forward)

    class Reach(Render, ReachRequest):
        pass

    @app.post("/api/reach")
    async def reach(req: Reach):
        """Move one yes/no axis's λ just far enough (``walk_until_seen`` with `tlgan edit --want`'s defaults: steps of
        0.25, at most 4 from its current value) for the extractor to read the attribute (``want`` 1) or its absence
        (0) with probability 0.9 on z edited by ``edits`` (locks held; refused with ``keep_norm``). Returns the axis's
        new λ, how far it walked and whether the extractor reads the request there; render it with /api/render."""
        if extractor is None:
            raise HTTPException(400, "no feature extractor loaded: start the editor with --features DIR")
        if req.axis not in reachable:
            raise HTTPException(422, f"{_short([req.axis])} is not a supervised yes/no axis the extractor reads")
        if req.keep_norm:
            raise HTTPException(422, "just enough walks without keep_norm: rescaling after the walk would undo what "
                                     "the extractor read (turn keep ‖z‖ off)")
        z, edits = checked(req)
        def walk():  # from the rendered latent, along the axis's own edit direction (projected off the other locks)
            with model_lock, torch.inference_mode():
                z1 = edit_latents(z, axes, edits, req.lock)
                _, walked, met = walk_until_seen(generator, extractor, axes, z1, {req.axis: float(req.want)},
                                                 req.lock)  # tlgan edit --want's defaults
            lam = max(-MAX_LAMBDA, min(MAX_LAMBDA, edits.get(req.axis, 0.0) + float(walked[0, 0])))
            return {"axis": req.axis, "lambda": lam, "walked": float(walked[0, 0]), "reached": bool(met[0])}
        return await asyncio.get_running_loop().run_in_executor(TORCH_THREAD, walk)

    upload_body = {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                                 for t in IMAGE_TYPES}}

    @app.post("/api/invert", openapi_extra={"requestBody": upload_body},
              responses={415: {"model": ErrorBody}, 429: {"model": ErrorBody}})
    async def invert_upload(request: Request):
        """Invert an uploaded image (the raw file as the body, Content-Type image/png|jpeg|webp): its latent,
        the input as the model sees it and the reconstruction. Edit the latent with /api/render like any other.
        One inversion at a time (another gets 429 with Retry-After); it runs on its own copy of the networks, so
        renders never wait for it."""
        from ..latent.invert import OptSettings, invert
        from ..metrics import psnr
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in IMAGE_TYPES:
            raise HTTPException(415, f"send the image file itself with Content-Type one of {', '.join(IMAGE_TYPES)}")
        if not invert_lock.acquire(blocking=False):
            raise HTTPException(429, "another image is being inverted; try again in a few seconds",
                                headers={"Retry-After": "5"})
        try:
            x = decode_upload(await request.body(), generator.channels, generator.resolution, IMAGE_TYPES[ctype])
            res = await run_in_threadpool(  # the event loop keeps answering while the search runs
                invert, inv_generator, x, "hybrid" if encoder is not None else "opt", encoder=inv_encoder,
                extractor=inv_extractor, settings=OptSettings(steps=300))
        finally:
            invert_lock.release()
        z = res.z.clamp(-MAX_ABS_Z, MAX_ABS_Z)
        quality = float(psnr(x, res.recon)[0])
        warning = None
        if upload_threshold_db is not None and quality < upload_threshold_db:
            warning = (f"this image is far from what the model draws: reconstructed at {quality:.1f} dB PSNR, below "
                       f"the {upload_threshold_db:.1f} dB that 95% of held-out faces reach; edits will act on the "
                       "reconstruction, not on your image")
        return {"z": z[0].tolist(), "input": _png_data_url(to_uint8(x)[0]),
                "image": _png_data_url(to_uint8(res.recon)[0]), "seconds": round(res.seconds, 3),
                "psnr": round(quality, 2), "warning": warning}

    return app


def load_app(generator_path=None, axes_path=None, features_path=None, allowed_hosts=LOCAL_HOSTS,
             model: str = "faces", directions_path=None, device: str = "cpu", encoder_path=None) -> FastAPI:
    """The app over given paths, or over the shipped ``model`` (faces or fashion) when none are given.
    ``directions_path``: unsupervised directions for the second panel (shipped model: its own, if any);
    ``encoder_path``: the encoder uploads are inverted with, and its upload check (shipped model: its own);
    ``device``: where the generator and extractor run (``auto`` | ``cpu`` | ``cuda``). Loads on the renders' thread."""
    return TORCH_THREAD.submit(_load_app, generator_path, axes_path, features_path, allowed_hosts, model,
                               directions_path, device, encoder_path).result()


def _load_app(generator_path, axes_path, features_path, allowed_hosts, model, directions_path, device,
              encoder_path) -> FastAPI:
    from ..device import to_device
    from ..pretrained import resolve_models
    m = resolve_models(generator_path, axes_path, features_path, model=model)
    if to_device(device, m.generator, m.extractor).type == "cpu":
        for net in (m.generator, m.extractor):  # oneDNN's faster conv layout (benchmarks/editor_g128.py)
            if net is not None:
                net.to(memory_format=torch.channels_last)
    from ..latent.encoder import load_encoder
    from ..latent.upload_check import threshold
    encoder = load_encoder(encoder_path, m.generator) if encoder_path else None
    if not m.shipped:
        return create_app(m.generator, m.axes, m.extractor, f"tlgan editor — {m.generator.name}",
                          allowed_hosts=allowed_hosts, encoder=encoder,
                          directions=Axes.load(directions_path) if directions_path else None,
                          upload_threshold_db=threshold(encoder_path))
    from ..pretrained import default_paths
    paths = default_paths(model)
    if encoder is None and paths["encoder"].exists():
        encoder_path = paths["encoder"]
        encoder = load_encoder(encoder_path, m.generator)
    directions_path = directions_path or (paths["directions"] if paths["directions"].exists() else None)
    # the faces model's raw Smiling axis leaks into Male (ratio ~2.9, docs/axes_eval.md): open with Male locked
    return create_app(m.generator, m.axes, m.extractor, f"tlgan editor — shipped {model} model",
                      ("Male",) if model == "faces" else (), allowed_hosts, encoder,
                      Axes.load(directions_path) if directions_path else None, threshold(encoder_path))


def serve_in_background(app: FastAPI, host: str = "127.0.0.1", port: int = 0):
    """Run ``app`` with uvicorn in a daemon thread (port 0: a free one). Returns (base url, server) once it answers.

    Stop it with ``server.should_exit = True``. Useful in notebooks, tests and benchmarks.
    """
    import socket
    import time

    import httpx
    import uvicorn
    if port == 0:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://{host}:{port}"
    for _ in range(400):
        try:
            httpx.get(url + "/api/info", timeout=1)
            return url, server
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the editor did not start on {url}")
