"""Image utilities (no torchvision): conversions, resizing, grids, PNG reading and writing."""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from ..errors import UserError

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
PREVIEW = "contact_sheet.png"   # the preview `tlgan data render` and `tlgan generate` write beside their images


def list_images(folder) -> list[str]:
    """Sorted names of the image files in ``folder`` (by extension, any case), leaving out hidden files (``._x.png``
    from macOS copies) and tlgan's own preview, ``contact_sheet.png``: not images of the set."""
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.suffix.lower() in IMAGE_EXT and not p.name.startswith(".") and p.name != PREVIEW)


def to_model_range(x_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, C, H, W) in [0, 255] -> float32 in [-1, 1]."""
    return x_uint8.float().div_(127.5).sub_(1.0)


def to_uint8(x: torch.Tensor, value_range=(-1.0, 1.0)) -> torch.Tensor:
    """Float images (N, C, H, W) in ``value_range`` -> uint8 in [0, 255]."""
    lo, hi = value_range
    return ((x.detach().float() - lo) / (hi - lo) * 255).round_().clamp_(0, 255).to(torch.uint8)


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """Anti-aliased square resize of float images (N, C, H, W) to (N, C, size, size)."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def make_grid(x_uint8: torch.Tensor, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile uint8 images (N, C, H, W) into one (H', W', 3) uint8 array (grey images become RGB)."""
    n, c, h, w = x_uint8.shape
    if c == 1:
        x_uint8 = x_uint8.expand(n, 3, h, w)
    nrow = nrow or math.ceil(math.sqrt(n))
    ncol = math.ceil(n / nrow)
    grid = np.full((ncol * (h + pad) + pad, nrow * (w + pad) + pad, 3), 255, np.uint8)
    arr = x_uint8[:, :3].permute(0, 2, 3, 1).cpu().numpy()
    for i in range(n):
        r, q = divmod(i, nrow)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = arr[i]
    return grid


def _file_to_write(path, kind: str) -> Path:
    """``path`` as a Path whose folder exists (made if missing); UserError if it or its folder is in the way."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a {kind} file name")
    if path.parent.exists() and not path.parent.is_dir():
        raise UserError(f"{path.parent} is a file, not a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def save_png(arr: np.ndarray, path: str | os.PathLike, min_size: int = 0) -> Path:
    """Write an (H, W, 3) or (H, W) uint8 array as PNG atomically; upscale (nearest) to at least ``min_size``."""
    path = _file_to_write(path, ".png")
    img = Image.fromarray(arr)
    if min_size and max(img.size) < min_size:
        k = math.ceil(min_size / max(img.size))
        img = img.resize((img.size[0] * k, img.size[1] * k), Image.NEAREST)
    tmp = path.with_name(path.name + ".tmp")
    img.save(tmp, format="PNG")
    os.replace(tmp, path)
    return path


def save_pngs(x: torch.Tensor, out_dir, names, value_range=(-1.0, 1.0)) -> Path:
    """Save float images (N, C, H, W) in ``value_range`` as one PNG each, ``out_dir/names[i]`` (RGB, or grey for
    1-channel images). Returns ``out_dir``."""
    out_dir = Path(out_dir)
    for name, a in zip(names, to_uint8(x, value_range).permute(0, 2, 3, 1).numpy(), strict=True):
        save_png(a if a.shape[2] == 3 else a[:, :, 0], out_dir / name)
    return out_dir


def save_grid(x: torch.Tensor, path, value_range=(-1.0, 1.0), nrow: int | None = None, min_size: int = 512,
              col_labels=None, title: str | None = None, row_labels=None) -> Path:
    """Save float images (N, C, H, W) in ``value_range`` as one PNG grid (``grid_image``)."""
    return save_png(grid_image(x, value_range, nrow, min_size, col_labels, title, row_labels), path)


def grid_image(x: torch.Tensor, value_range=(-1.0, 1.0), nrow: int | None = None, min_size: int = 512,
               col_labels=None, title: str | None = None, row_labels=None) -> np.ndarray:
    """Float images (N, C, H, W) in ``value_range`` tiled ``nrow`` to a row into a uint8 (H', W', 3) grid, upscaled
    (nearest) to at least ``min_size``, optionally with a label above each column, one left of each row and a title
    line (drawn after the upscaling, so the text stays sharp)."""
    grid = make_grid(to_uint8(x, value_range), nrow)
    k = max(1, math.ceil(min_size / max(grid.shape[:2])))
    grid = np.repeat(np.repeat(grid, k, 0), k, 1)
    return caption(grid, col_labels or [], title, row_labels=row_labels) if col_labels or title or row_labels else grid


ANIMATIONS = (".gif", ".webp")


def save_animation(frames: list[np.ndarray], path, ms_per_frame: int) -> Path:
    """Write uint8 (H, W, 3) frames as an endlessly looping animation, GIF or WebP by ``path``'s suffix
    (atomically)."""
    if Path(path).suffix.lower() not in ANIMATIONS:
        raise UserError(f"{path}: an animation is written as .gif or .webp")
    path = _file_to_write(path, " or ".join(ANIMATIONS))
    images = [Image.fromarray(f) for f in frames]
    tmp = path.with_name(path.name + ".tmp")
    images[0].save(tmp, format=path.suffix[1:].upper(), save_all=True, append_images=images[1:],
                   duration=ms_per_frame, loop=0, **({"lossless": True} if path.suffix.lower() == ".webp" else {}))
    os.replace(tmp, path)
    return path


def caption(grid: np.ndarray, col_labels, title: str | None = None, size: int = 14, row_labels=None) -> np.ndarray:
    """A uint8 (H, W, 3) grid with white margins: above it ``title`` first, then one label centred over each of
    ``len(col_labels)`` equal-width columns; left of it one label beside each of ``len(row_labels)`` equal-height
    rows (at most 160 px wide). Text wider than its place (the image, a column, the row margin) wraps (wrap_text)."""
    from PIL import ImageDraw, ImageFont
    font = ImageFont.load_default(size=size)
    line = size + 6
    row_lines = [wrap_text(label, font, 160) for label in row_labels or []]
    margin = math.ceil(max((font.getlength(t) for lines in row_lines for t in lines), default=-8)) + 8
    column = grid.shape[1] / max(len(col_labels), 1)
    title_lines = wrap_text(title, font, margin + grid.shape[1] - 8) if title is not None else []
    label_lines = [wrap_text(label, font, column - 4) for label in col_labels]
    strip = (len(title_lines) + max(map(len, label_lines), default=0)) * line + 4
    img = Image.new("RGB", (margin + grid.shape[1], grid.shape[0] + strip), "white")
    img.paste(Image.fromarray(grid), (margin, strip))
    draw = ImageDraw.Draw(img)
    for k, text in enumerate(title_lines):
        draw.text((4, 3 + k * line), text, fill="black", font=font)
    y = 3 + len(title_lines) * line
    for i, lines in enumerate(label_lines):
        for k, text in enumerate(lines):
            draw.text((margin + i * column + (column - font.getlength(text)) / 2, y + k * line), text, fill="black",
                      font=font)
    row = grid.shape[0] / max(len(row_lines), 1)
    for i, lines in enumerate(row_lines):
        top = strip + i * row + (row - len(lines) * line) / 2
        for k, text in enumerate(lines):
            draw.text((4, top + k * line), text, fill="black", font=font)
    return np.asarray(img)


def wrap_text(text: str, font, width: float) -> list[str]:
    """``text`` split into lines no wider than ``width`` pixels in ``font`` (unless one character is): at spaces,
    and a word wider than that alone after its underscores (``Mouth_Slightly_`` / ``Open``), else anywhere."""
    import re
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
            continue
        lines.append("")
        pieces = [word] if font.getlength(word) <= width else re.findall(r"[^_]*_|[^_]+", word)
        for piece in pieces:
            for part in [piece] if font.getlength(piece) <= width else piece:
                if lines[-1] and font.getlength(lines[-1] + part) > width:
                    lines.append("")
                lines[-1] += part
    return lines


GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


@contextmanager
def _opened(path: str | os.PathLike):
    """``Image.open(path)``, with what goes wrong while it is open (a decompression bomb, a file that is no image or
    is cut short) as a UserError naming the file."""
    try:
        with Image.open(path) as im:
            yield im
    except (FileNotFoundError, IsADirectoryError) as e:
        raise UserError(f"{path}: {'no such file' if isinstance(e, FileNotFoundError) else 'a folder, not an image'}") \
            from None
    except Image.DecompressionBombError:
        raise UserError(f"{path}: the image is too large to read safely (over {Image.MAX_IMAGE_PIXELS:,} pixels)") \
            from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise UserError(f"{path}: not a readable image file ({type(e).__name__}); expected PNG/JPEG/BMP") from None


def is_grey(path: str | os.PathLike) -> bool:
    """Whether the image file at ``path`` is greyscale (read from its header only); UserError as for read_image."""
    with _opened(path) as im:
        return im.mode in GREY_MODES


def read_image(path: str | os.PathLike, channels: int = 3) -> np.ndarray:
    """Read an image file as uint8 (H, W, channels); ``channels`` 0: 1 for a greyscale file, else 3.

    Raises UserError naming the file if it is not an image."""
    with _opened(path) as im:
        if channels == 0:
            channels = 1 if im.mode in GREY_MODES else 3
        arr = np.array(im.convert("RGB" if channels == 3 else "L"))  # writable: torch.from_numpy warns on read-only
    return arr if channels == 3 else arr[:, :, None]


def center_crop_resize(arr: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop an (H, W, C) uint8 image to a square and resize it (anti-aliased) to (size, size, C)."""
    h, w = arr.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = arr[top:top + s, left:left + s]
    mode = "L" if crop.shape[2] == 1 else "RGB"
    im = Image.fromarray(crop[:, :, 0] if mode == "L" else crop, mode).resize((size, size), Image.LANCZOS)
    out = np.array(im)
    return out[:, :, None] if mode == "L" else out


def read_images(path: str | os.PathLike, shape: tuple[int, int, int],
                resize_to_fit: bool = False) -> tuple[list[str], torch.Tensor]:
    """An image file, or the images in a folder, as (file names, float (N, C, H, W) in [-1, 1]).

    Every image must already have the model's ``shape`` (C, H, W): a different size or channel count is a
    UserError naming the file (resizing would change what is being judged), unless ``resize_to_fit``: then other
    sizes are centre-cropped and resized (a channel mismatch stays an error). Alpha channels are dropped.
    """
    root = Path(path)
    if root.is_file():
        root, names = root.parent, [root.name]
    elif root.is_dir():
        names = list_images(root)
    else:
        raise UserError(f"input {root} does not exist")
    if not names:
        raise UserError(f"{root} holds no images ({', '.join(sorted(IMAGE_EXT))})")
    c, h, w = shape
    arrs = []
    for name in names:
        arr = read_image(root / name, 0)  # its own channel count: a mismatch is an error, not a conversion
        if resize_to_fit and arr.shape[2] == c and arr.shape[:2] != (h, w):
            arr = center_crop_resize(arr, h)
        if arr.shape != (h, w, c):
            raise UserError(f"{root / name}: the model takes {w}x{h} images with {c} channel(s), "
                            f"this one is {arr.shape[1]}x{arr.shape[0]} with {arr.shape[2]}")
        arrs.append(arr)
    x = torch.from_numpy(np.stack(arrs)).permute(0, 3, 1, 2).contiguous()
    return names, to_model_range(x)
