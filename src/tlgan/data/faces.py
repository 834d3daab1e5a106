"""Procedural faces with exact ground-truth attributes and CelebA-like correlations.

The built-in, offline stand-in for CelebA. ``sample_attributes(seed, indices)`` draws every
image's attributes from the causal table below (deterministic per ``(seed, index)``);
``render(attrs, resolution)`` draws them with analytic anti-aliasing (each shape's coverage
of a pixel comes from its signed distance, which is what supersampling approximates).

Causal table (probabilities of a binary attribute being 1; ``M`` = Male, ages in years):

=====================  ===========================================================
attribute              P(attribute = 1 | parents)
=====================  ===========================================================
Male                   0.42
age (continuous)       18 + 62 * Kumaraswamy(1.4, 2.2)           Young := age < 40
skin_tone (cont.)      U(0, 1), 1 = lightest              Pale_Skin := skin_tone > 0.8
yaw (continuous)       U(-1, 1) head turn (left -1, right +1)
Chubby                 0.04 + 0.10 M + 0.12 [age > 50]
Gray_Hair              clip((age - 45) / 30, 0, 0.9)
Black/Blond/Brown      if not grey: F 0.30/0.30/0.30, M 0.40/0.10/0.40; the rest red (no label)
Bald                   M: clip((age - 30) / 70, 0, 0.5);  F: 0.005
long hair (unlabelled) not Bald: F 0.80, M 0.10
Wearing_Hat            0.06
Bangs                  not Bald and not hat: F 0.30, M 0.12
Mustache               M 0.25, F 0
No_Beard               1 - (M 0.40, F 0.08)   (mostly, not only, men)
Heavy_Makeup           F 0.60, M 0.02
Wearing_Earrings       F 0.35, M 0.03
Eyeglasses             0.07 + 0.12 [age > 50]
Smiling                0.48
Mouth_Slightly_Open    Smiling 0.75, else 0.20
=====================  ===========================================================

Unlabelled nuisance factors: background colour, lighting direction, position and scale
jitter, eye colour, hat colour.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

BINARY = [
    "Male", "Young", "Smiling", "Mouth_Slightly_Open", "Eyeglasses", "Wearing_Hat", "Bald",
    "Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Mustache", "No_Beard",
    "Heavy_Makeup", "Wearing_Earrings", "Pale_Skin", "Chubby",
]
CONTINUOUS = ["age", "yaw", "skin_tone"]
ATTRIBUTES = BINARY + CONTINUOUS
RESOLUTIONS = (32, 64, 128)

_HAIR_RGB = {  # black, blond, brown, red, grey
    0: (0.10, 0.08, 0.07), 1: (0.92, 0.80, 0.45), 2: (0.45, 0.28, 0.15),
    3: (0.70, 0.30, 0.12), 4: (0.72, 0.72, 0.74),
}
_N_DRAWS = 40  # uniforms per image; fixed so that adding a draw never reshuffles others


def _uniforms(seed: int, indices: np.ndarray) -> np.ndarray:
    """Counter-based uniforms in [0, 1): shape (len(indices), _N_DRAWS), pure function of (seed, index)."""
    with np.errstate(over="ignore"):
        idx = np.asarray(indices, dtype=np.uint64)[:, None]
        k = np.arange(_N_DRAWS, dtype=np.uint64)[None, :]
        x = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)) ^ (idx * np.uint64(0xBF58476D1CE4E5B9)) ^ (
            k * np.uint64(0x94D049BB133111EB))
        for _ in range(2):  # splitmix64 finaliser, twice
            x = x + np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def sample_attributes(seed: int, indices) -> dict[str, np.ndarray]:
    """Draw attributes for the given image indices.

    In: a seed and an int array of indices (N,). Out: a dict of arrays (N,): every name in
    ``ATTRIBUTES`` (binary as 0/1 int8, continuous as float32) plus unlabelled render
    parameters whose names start with ``_``.
    """
    u = _uniforms(seed, np.asarray(indices))
    male = u[:, 0] < 0.42
    age = 18 + 62 * _kumaraswamy(u[:, 1], 1.4, 2.2)
    skin = u[:, 3]
    yaw = 2 * u[:, 4] - 1
    old = age > 50
    chubby = u[:, 5] < 0.04 + 0.10 * male + 0.12 * old
    gray = u[:, 6] < np.clip((age - 45) / 30, 0, 0.9)
    c = u[:, 7]
    hair = np.where(male, np.select([c < 0.4, c < 0.5, c < 0.9], [0, 1, 2], 3),
                    np.select([c < 0.3, c < 0.6, c < 0.9], [0, 1, 2], 3))
    hair = np.where(gray, 4, hair)
    bald = u[:, 8] < np.where(male, np.clip((age - 30) / 70, 0, 0.5), 0.005)
    long_hair = ~bald & (u[:, 9] < np.where(male, 0.10, 0.80))
    hat = u[:, 10] < 0.06
    bangs = ~bald & ~hat & (u[:, 11] < np.where(male, 0.12, 0.30))
    mustache = male & (u[:, 12] < 0.25)
    beard = u[:, 13] < np.where(male, 0.40, 0.08)
    makeup = u[:, 14] < np.where(male, 0.02, 0.60)
    earrings = u[:, 15] < np.where(male, 0.03, 0.35)
    glasses = u[:, 16] < 0.07 + 0.12 * old
    smiling = u[:, 17] < 0.48
    mouth_open = u[:, 18] < np.where(smiling, 0.75, 0.20)
    b = lambda v: v.astype(np.int8)  # noqa: E731
    out = {
        "Male": b(male), "Young": b(age < 40), "Smiling": b(smiling), "Mouth_Slightly_Open": b(mouth_open),
        "Eyeglasses": b(glasses), "Wearing_Hat": b(hat), "Bald": b(bald), "Bangs": b(bangs),
        "Black_Hair": b(hair == 0), "Blond_Hair": b(hair == 1), "Brown_Hair": b(hair == 2),
        "Gray_Hair": b(hair == 4), "Mustache": b(mustache), "No_Beard": b(~beard),
        "Heavy_Makeup": b(makeup), "Wearing_Earrings": b(earrings), "Pale_Skin": b(skin > 0.8),
        "Chubby": b(chubby),
        "age": age.astype(np.float32), "yaw": yaw.astype(np.float32), "skin_tone": skin.astype(np.float32),
        "_hair": hair.astype(np.int8), "_long_hair": b(long_hair),
    }
    for i, name in enumerate(["_bg_r", "_bg_g", "_bg_b", "_light", "_dx", "_dy", "_scale", "_eye", "_hat_hue"]):
        out[name] = u[:, 20 + i].astype(np.float32)
    return out


def _kumaraswamy(u, a, b):
    """Inverse-CDF draw from Kumaraswamy(a, b): Beta-shaped on [0, 1], in closed form."""
    return (1 - (1 - u) ** (1 / b)) ** (1 / a)


def _cover(d: torch.Tensor, px: float) -> torch.Tensor:
    """Pixel coverage in [0, 1] from a signed distance (negative inside), anti-aliased over one pixel."""
    return (0.5 - d / px).clamp_(0, 1)


def _ellipse(x, y, cx, cy, rx, ry):
    """Approximate signed distance to an axis-aligned ellipse (exact for circles)."""
    rx, ry = (torch.as_tensor(v, dtype=torch.float32, device=x.device) for v in (rx, ry))
    dx, dy = (x - cx) / rx, (y - cy) / ry
    return (torch.sqrt(dx * dx + dy * dy) - 1) * torch.minimum(rx, ry)


def _box(x, y, cx, cy, hw, hh):
    """Signed distance to an axis-aligned box."""
    qx, qy = (x - cx).abs() - hw, (y - cy).abs() - hh
    outside = torch.sqrt(qx.clamp(min=0) ** 2 + qy.clamp(min=0) ** 2)
    return outside + torch.maximum(qx, qy).clamp(max=0)


def _check_resolution(resolution: int) -> None:
    if resolution not in RESOLUTIONS:
        from ..errors import UserError
        raise UserError(f"faces resolution must be one of {RESOLUTIONS}, got {resolution}")


def render(attrs: dict[str, np.ndarray], resolution: int = 64, device=None) -> torch.Tensor:
    """Draw faces. In: a dict from ``sample_attributes`` (N rows). Out: float tensor (N, 3, R, R) in [0, 1], drawn
    on ``device`` (default the CPU)."""
    _check_resolution(resolution)
    n, r = len(attrs["Male"]), resolution
    t = {k: torch.as_tensor(np.asarray(v), dtype=torch.float32, device=device).view(n, 1, 1)
         for k, v in attrs.items()}
    tensor = lambda v: torch.tensor(v, dtype=torch.float32, device=device)  # noqa: E731
    lin = (torch.arange(r, dtype=torch.float32, device=device) + 0.5) / r * 2 - 1
    y, x = lin.view(1, r, 1), lin.view(1, 1, r)
    px = 2.0 / r
    scale = 1.15 + 0.12 * t["_scale"]
    x = (x - 0.10 * (t["_dx"] - 0.5)) / scale
    y = (y - 0.10 * (t["_dy"] - 0.5) - 0.02) / scale
    px = px / scale
    yaw, male, smile = t["yaw"], t["Male"], t["Smiling"]
    age01 = ((t["age"] - 18) / 62).clamp(0, 1)

    img = torch.empty(n, 3, r, r, device=device)
    bg = torch.cat([t["_bg_r"], t["_bg_g"], t["_bg_b"]], 1).view(n, 3, 1, 1) * 0.5 + 0.25
    img[:] = bg * (1 - 0.25 * (y.unsqueeze(1) + 1) / 2)

    def paint(cov, rgb):
        """Composite colour ``rgb`` ((N,3) tensor or 3-tuple) with coverage ``cov`` (N,R,R) over img."""
        col = torch.as_tensor(rgb, dtype=torch.float32, device=device).view(-1, 3, 1, 1)
        img.add_(cov.unsqueeze(1) * (col - img))

    tone = t["skin_tone"].view(n)
    skin = torch.stack([0.45 + 0.50 * tone, 0.30 + 0.52 * tone, 0.20 + 0.52 * tone], 1)
    skin = skin * (1 - 0.12 * age01.view(n, 1)) + 0.05 * age01.view(n, 1)
    hair_rgb = tensor([_HAIR_RGB[i] for i in range(5)])[torch.as_tensor(attrs["_hair"], device=device).long()]
    dark_hair = hair_rgb * 0.7

    rx = 0.40 * (1 + 0.16 * t["Chubby"]) * (1 - 0.10 * yaw.abs()) * (1 - 0.05 * male)
    ry = 0.50 + 0.03 * male
    cx, cy = 0.06 * yaw, torch.zeros_like(yaw)
    fx = cx + 0.16 * yaw  # where the features sit: turned heads shift them sideways

    long_hair = t["_long_hair"]
    # long hair behind the head
    paint(_cover(_ellipse(x, y, cx, cy + 0.10, rx + 0.16, ry + 0.22), px) * long_hair, hair_rgb)
    paint(_cover(_box(x, y, cx, cy + 0.55, 0.16, 0.2), px), skin * 0.85)  # neck
    for side in (-1, 1):  # ears
        paint(_cover(_ellipse(x, y, cx + side * rx, cy + 0.04, 0.07, 0.11), px), skin * 0.92)
    face = _cover(_ellipse(x, y, cx, cy, rx, ry), px)
    paint(face, skin)
    # wrinkles with age (unlabelled cue of the continuous age)
    wr = ((age01 - 0.45) * 1.6).clamp(0, 1)
    for k in range(2):
        paint(_cover(_box(x, y, fx, cy - 0.27 - 0.05 * k, 0.16, 0.006), px) * wr * 0.6, skin * 0.6)
    # hair on top of the head (absent when bald)
    cap = torch.minimum(_cover(_ellipse(x, y, cx, cy - 0.06, rx + 0.05, ry + 0.04), px),
                        _cover(y - (cy - 0.30), px))
    paint(cap * (1 - t["Bald"]), hair_rgb)
    side_hair = torch.minimum(_cover(_ellipse(x, y, cx, cy - 0.02, rx + 0.05, ry - 0.06), px),
                              _cover(y - (cy + 0.02), px)) * (1 - face) * (1 - long_hair)
    paint(side_hair, hair_rgb)
    bangs = torch.minimum(_cover(_ellipse(x, y, cx + 0.04 * yaw, cy - 0.30, rx * 0.95, 0.16), px),
                          _cover(y - (cy - 0.13), px)) * t["Bangs"]
    paint(bangs, hair_rgb)
    # eyes, eye shadow, brows
    eye_col = torch.stack([0.15 + 0.3 * t["_eye"].view(n), 0.25 + 0.25 * t["_eye"].view(n),
                           0.35 - 0.2 * t["_eye"].view(n)], 1)
    for side in (-1, 1):
        ex = fx + side * 0.15 * (1 - 0.25 * side * yaw)
        paint(_cover(_ellipse(x, y, ex, cy - 0.05, 0.08, 0.045), px) * t["Heavy_Makeup"],
              (0.55, 0.25, 0.55))
        paint(_cover(_ellipse(x, y, ex, cy - 0.03, 0.065, 0.035), px), (0.96, 0.96, 0.96))
        paint(_cover(_ellipse(x, y, ex, cy - 0.03, 0.03, 0.03), px), eye_col)
        paint(_cover(_box(x, y, ex, cy - 0.13, 0.07, 0.014 + 0.008 * male), px), dark_hair)
    # nose
    paint(_cover(_ellipse(x, y, fx + 0.03 * yaw, cy + 0.10, 0.035, 0.06), px), skin * 0.78)
    # beard: the jaw below the mouth line
    my = cy + 0.27
    beard = torch.minimum(face, _cover((cy + 0.12) - y, px)) * (1 - t["No_Beard"])
    paint(beard, dark_hair * 0.9 + 0.05)
    # mouth: smiling = upturned arc, else a straight line; open = dark inside
    mw = 0.13 + 0.03 * smile
    lip = torch.where(t["Heavy_Makeup"].view(n, 1) > 0, tensor([[0.80, 0.10, 0.20]]),
                      skin * tensor([[0.70, 0.45, 0.45]]))
    open_ = t["Mouth_Slightly_Open"]
    ring_r = 0.22
    arc = (_ellipse(x, y, fx, my - ring_r, torch.full_like(fx, ring_r), ring_r)).abs() - 0.022
    arc = torch.maximum(arc, _box(x, y, fx, my, mw, 0.12))
    line = _box(x, y, fx, my, mw, 0.018)
    mouth_sdf = torch.where(smile > 0, arc, line)
    inside = _cover(_ellipse(x, y, fx, my + 0.01 + 0.015 * smile, mw * 0.85, 0.045), px) * open_
    paint(_cover(mouth_sdf, px).maximum(inside), lip)
    paint(inside * 0.85, (0.25, 0.05, 0.08))
    paint(_cover(_box(x, y, fx, my + 0.005, mw * 0.6, 0.012), px) * open_ * smile, (0.95, 0.95, 0.92))
    paint(_cover(_ellipse(x, y, fx, my - 0.07, mw + 0.02, 0.032), px) * t["Mustache"], dark_hair * 0.9)
    # glasses: two rings and a bridge
    g = t["Eyeglasses"]
    for side in (-1, 1):
        ex = fx + side * 0.15 * (1 - 0.25 * side * yaw)
        ring = (_ellipse(x, y, ex, cy - 0.03, 0.10, 0.085)).abs() - 0.016
        paint(_cover(ring, px) * g, (0.08, 0.08, 0.10))
    paint(_cover(_box(x, y, fx, cy - 0.05, 0.05, 0.012), px) * g, (0.08, 0.08, 0.10))
    # earrings
    for side in (-1, 1):
        paint(_cover(_ellipse(x, y, cx + side * rx * 0.98, cy + 0.17, 0.035, 0.035), px)
              * t["Wearing_Earrings"], (0.95, 0.78, 0.15))
    # hat: crown and brim
    hue = t["_hat_hue"].view(n)
    hat_rgb = torch.stack([0.2 + 0.6 * hue, 0.2 + 0.5 * (1 - hue), 0.6 - 0.3 * hue], 1)
    crown = torch.minimum(_cover(_ellipse(x, y, cx, cy - 0.36, rx + 0.06, 0.30), px),
                          _cover(y - (cy - 0.24), px))
    paint(crown * t["Wearing_Hat"], hat_rgb)
    paint(_cover(_box(x, y, cx, cy - 0.26, rx + 0.16, 0.035), px) * t["Wearing_Hat"], hat_rgb * 0.7)
    # lighting from one side
    light = (t["_light"] - 0.5).view(n, 1, 1, 1) * 0.3
    img.mul_(1 + light * x.unsqueeze(1).clamp(-1.5, 1.5))
    return img.clamp_(0, 1)


def render_faces(n: int, seed: int = 0, resolution: int = 64, start: int = 0, batch: int = 64,
                 progress: bool = False, device=None):
    """Render ``n`` faces with indices ``start..start+n`` (a progress bar with ``progress``), ``batch`` at a time
    on ``device`` (default the CPU).

    Out: (images uint8 tensor (n, 3, R, R) on ``device``, attributes dict of (n,) arrays, without the ``_`` render
    params).
    """
    from ..progress import progress_bar
    _check_resolution(resolution)  # before the progress bar
    imgs, attrs = [], {k: [] for k in ATTRIBUTES}
    for s in progress_bar(range(start, start + n, batch), desc=f"rendering {n:,} faces at {resolution} px",
                          disable=not progress, leave=False):
        a = sample_attributes(seed, np.arange(s, min(s + batch, start + n)))
        imgs.append((render(a, resolution, device) * 255).round_().to(torch.uint8))
        for k in ATTRIBUTES:
            attrs[k].append(a[k])
    return torch.cat(imgs), {k: np.concatenate(v) for k, v in attrs.items()}


CACHE_MIN, CACHE_MAX_BYTES = 1000, 2 ** 31  # renders cached on disk: at least this many faces, at most this size


def cached_faces(n: int, seed: int = 0, resolution: int = 64, start: int = 0):
    """:func:`render_faces` through an on-disk cache (``$TLGAN_CACHE/data``), keyed by the faces' indices, seed,
    resolution and this renderer's source, so a second run with the same data starts at once. Renders of fewer
    than ``CACHE_MIN`` faces or more than ``CACHE_MAX_BYTES`` of pixels are not cached. A progress bar while
    rendering."""
    import hashlib
    import os

    from safetensors.torch import load_file, save_file

    from ..io import cache_dir
    if n < CACHE_MIN or n * 3 * resolution ** 2 > CACHE_MAX_BYTES:
        return render_faces(n, seed, resolution, start, progress=n >= CACHE_MIN)
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    path = cache_dir() / "data" / f"faces-seed{seed}-{start}+{n}-{resolution}px-{version}.safetensors"
    if path.exists():
        try:
            t = load_file(str(path))
            return t.pop("images"), {k: v.numpy() for k, v in t.items()}
        except Exception:  # a damaged cache file: render again and replace it
            pass
    imgs, attrs = render_faces(n, seed, resolution, start, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # several processes may render the same data
    save_file({"images": imgs.contiguous(), **{k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in
                                                attrs.items()}}, str(tmp))
    os.replace(tmp, path)
    return imgs, attrs


MAX_RENDER = 10_000_000  # faces one `data render` writes at most


def write_faces(out, n: int, seed: int = 0, resolution: int = 64, start: int = 0, chunk: int = 1024) -> None:
    """Render faces start..start+n-1 into folder ``out``: one PNG each (``000123.png``), ``attributes.csv``
    (``filename`` then the CelebA-style columns of :data:`ATTRIBUTES`) and ``contact_sheet.png`` (the first 64).
    Written ``chunk`` faces at a time behind a progress bar, after checking that the disk has room."""
    import shutil
    from pathlib import Path

    from ..errors import UserError
    from ..io import ensure_dir
    from ..progress import progress_bar
    from .images import PREVIEW, make_grid, save_png, save_pngs
    if resolution not in RESOLUTIONS or not 1 <= n <= MAX_RENDER:
        raise UserError(f"--resolution must be one of {RESOLUTIONS} and --n between 1 and {MAX_RENDER:,}")
    out = Path(out)
    existing = next(p for p in (out, *out.parents) if p.exists())
    need = n * (max(resolution ** 2, 4096) + 300)  # PNGs of these drawings: < 1 byte per pixel, >= one 4 KB block
    free = shutil.disk_usage(existing if existing.is_dir() else existing.parent).free
    if need > free:
        raise UserError(f"{n:,} faces at {resolution} px need about {need / 1e9:.1f} GB; {existing} has "
                        f"{free / 1e9:.1f} GB free")
    ensure_dir(out)
    rows = ["filename," + ",".join(ATTRIBUTES)]
    with progress_bar(total=n, desc=f"writing {n:,} faces", unit="img", disable=n < chunk) as bar:
        for s in range(start, start + n, chunk):
            k = min(chunk, start + n - s)
            imgs, attrs = render_faces(k, seed, resolution, s)
            names = [f"{s + i:06d}.png" for i in range(k)]
            save_pngs(imgs.float(), out, names, value_range=(0.0, 255.0))
            for i, name in enumerate(names):
                rows.append(name + "," + ",".join(f"{attrs[a][i]:.4g}" if a in CONTINUOUS
                                                  else str(int(attrs[a][i])) for a in ATTRIBUTES))
            if s == start:
                save_png(make_grid(imgs[:64]), out / PREVIEW, min_size=512)
            bar.update(k)
    (out / "attributes.csv").write_text("\n".join(rows) + "\n")


FLIPPABLE = ["Male", "Smiling", "Mouth_Slightly_Open", "Eyeglasses", "Wearing_Hat", "Bald", "Bangs", "Mustache",
             "No_Beard", "Heavy_Makeup", "Wearing_Earrings", "Chubby"]  # binary labels render() draws directly


def counterfactual_faces(name: str, n: int, seed: int = 0, resolution: int = 64, start: int = 0):
    """The same ``n`` faces (indices ``start..start+n``) drawn as they are and with binary attribute ``name`` flipped,
    every other draw (pose, colours, hair, light) unchanged: exact counterfactual pairs.

    Out: (images uint8 (n, 3, R, R), counterfactuals uint8 (n, 3, R, R), the attribute's value before (n,) 0/1)."""
    if name not in FLIPPABLE:
        raise ValueError(f"{name!r} cannot be flipped in place; flippable: {', '.join(FLIPPABLE)}")
    a = sample_attributes(seed, np.arange(start, start + n))
    flipped = {**a, name: (1 - a[name]).astype(np.int8)}
    to_u8 = lambda t: (t * 255).round_().to(torch.uint8)  # noqa: E731
    return to_u8(render(a, resolution)), to_u8(render(flipped, resolution)), a[name].astype(np.int64)
