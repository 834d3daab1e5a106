"""The Generator contract and every way to open one: a run directory, a TorchScript file or a factory.

``load_generator(path)`` accepts a run directory (``RUN``, ``RUN@w``, ``RUN@w+``), a TorchScript file
(``*.pt``/``*.ts`` + a JSON descriptor) or a ``module:function`` factory, and returns a :class:`Generator`.
``load_network(run, name)`` rebuilds any saved network of a run from the spec in its ``config.json``.

Trust: a TorchScript file or a factory is code; it runs with your rights when it is loaded and called, like any
Python package you import. Load only models you trust. Run directories hold only JSON and safetensors.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn

from .errors import UserError
from .io import (
    ensure_dir,
    file_hash,
    load_weights,
    module_hash,
    output_fingerprint,
    read_json,
    save_weights,
    write_json,
)
from .models.placement import follow
from .models.registry import LATENT_GENERATORS, build_network


class Generator(nn.Module):
    """A ready generator: ``forward(latent (N, z_dim)) -> images (N, C, R, R)`` in ``value_range``.

    Carries its descriptor: ``z_dim``, ``resolution``, ``channels``, ``value_range`` and ``content_hash``.
    ``prior`` maps draws from N(0, I) of size ``prior_dim`` to latents (identity for Z; the mapping network for a
    StyleGAN's W / W+), so every sampler in tlgan draws ``prior(randn)``.
    """

    def __init__(self, net: nn.Module, z_dim: int, resolution: int, channels: int,
                 value_range=(-1.0, 1.0), content_hash: str = "", name: str = "", prior=None, prior_dim=None):
        super().__init__()
        self.net, self.z_dim, self.resolution, self.channels = net, int(z_dim), int(resolution), int(channels)
        self.value_range, self.content_hash, self.name = tuple(value_range), content_hash, name
        self.prior_fn, self.prior_dim = prior, int(prior_dim or z_dim)
        self.space, self.n_ws = "z", 1  # "w" / "w+" (with n_ws per-layer styles) for a StyleGAN's W spaces
        self.eval().requires_grad_(False)  # inference only: images carry a gradient only w.r.t. a latent that asks

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise UserError(f"latent must have shape (N, {self.z_dim}), got {tuple(z.shape)}")
        return follow(self, self.net, z, amp=True)  # on a GPU when moved there (bf16), results on z's device

    @torch.no_grad()
    def prior(self, noise: torch.Tensor) -> torch.Tensor:
        """N(0, I) draws (N, prior_dim) -> latents (N, z_dim) of this generator's space."""
        return noise if self.prior_fn is None else follow(self, self.prior_fn, noise)

    def latents(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` latents from the prior, reproducible by seed: (n, z_dim) float32."""
        return self.prior(torch.randn(n, self.prior_dim, generator=torch.Generator().manual_seed(seed)))

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, batch: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
        """(latents (n, z_dim), images (n, C, R, R) in value_range) for a seed."""
        z = self.latents(n, seed)
        return z, torch.cat([self(z[i:i + batch]) for i in range(0, n, batch)])

    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        """Map images from value_range to [0, 1]."""
        lo, hi = self.value_range
        return ((x - lo) / (hi - lo)).clamp(0, 1)

    def to_signed(self, x: torch.Tensor) -> torch.Tensor:
        """Map images from value_range to [-1, 1] (clamped): what extractors and judges read."""
        return self.to_unit(x) * 2 - 1


def load_generator(path: str | os.PathLike, descriptor: dict | None = None, best: bool = True,
                   trust_code: bool | None = None) -> Generator:
    """Load a generator from a run directory, a TorchScript file or a ``module:function`` factory.

    Run directory: uses ``best/generator.safetensors`` if present (and ``best``), else ``generator.safetensors``.
    A StyleGAN-style run can be opened in its W or W+ space with a suffix: ``RUN@w`` (one w for every layer,
    latent (N, w_dim)) or ``RUN@w+`` (one w per layer, latent (N, n_ws * w_dim)); the default is Z. A conditional
    run (cgan, acgan) opens at fixed labels with ``RUN@Smiling=1,Male=0`` (labels not named keep the run's
    default: the data's rates), so the whole TL-GAN pipeline runs on it; the labels are part of its content hash.
    TorchScript / factory: ``descriptor`` (or ``<file>.json`` beside a TorchScript file) gives ``z_dim``,
    ``resolution``, ``channels`` and optionally ``value_range``. Both run code: they are refused unless
    ``trust_code`` (or the CLI's ``--trust-code``) allows it (:func:`check_trusted`).
    """
    path, space = _split_space(path)
    p = Path(path)
    if p.is_dir():
        cfg_path = p / "config.json"
        if not cfg_path.exists():
            raise UserError(f"{p} is not a tlgan run directory (no config.json)")
        cfg = read_json(cfg_path)
        spec = cfg.get("generator")
        if not spec or spec.get("arch") not in LATENT_GENERATORS:
            if "translator" in cfg:
                raise UserError(f"{p} is a {cfg.get('model')} run: an image-to-image translator with no latent "
                                f"space; apply it with `tlgan translate {p} --input IMAGES`")
            got = f"architecture {spec.get('arch')!r}" if isinstance(spec, dict) else "no 'generator' entry"
            raise UserError(f"{p} holds no latent generator (config.json: {got}; expected one of "
                            f"{', '.join(LATENT_GENERATORS)})")
        weights = _weights(p, best)
        net = load_weights(build_network(spec), weights).float()
        kw = spec["kwargs"]
        shape = kw.get("out_shape") or [kw["channels"], kw["resolution"], kw["resolution"]]
        content_hash, name = file_hash(weights), p.name
        if "=" in space:  # a conditional run at fixed labels: an ordinary z -> image generator
            set_labels(net, p, space)
            content_hash, name, space = f"{content_hash}@{space}", f"{name}@{space}", "z"
        g = Generator(net, kw["z_dim"], shape[-1], shape[0], cfg.get("value_range", (-1, 1)), content_hash, name)
        return g if space == "z" else _style_space(g, space)
    if p.suffix == ".pkl":
        return _nvidia_pickle(p, space)
    if p.suffix in PROGRAM_SUFFIXES and p.exists():
        desc = descriptor or _descriptor(p)
        check_trusted(str(p), trust_code)
        return _described(load_program(p), desc, file_hash(p), p.stem)
    if ":" in str(path) and not p.exists():
        check_trusted(f"the generator factory {path}", trust_code)
        mod_name, fn_name = str(path).split(":", 1)
        if "" not in sys.path and os.getcwd() not in sys.path:  # as `python -m` does: modules in the current dir
            sys.path.insert(0, os.getcwd())
        try:
            factory = getattr(importlib.import_module(mod_name), fn_name)
        except (ImportError, AttributeError) as e:
            raise UserError(f"cannot import generator factory {path}: {e}") from None
        made = factory()
        net, desc = made if isinstance(made, tuple) else (made, descriptor or getattr(made, "descriptor", None))
        probe = torch.randn(2, int(desc["z_dim"]), generator=torch.Generator().manual_seed(0)) \
            if isinstance(desc, dict) and isinstance(desc.get("z_dim"), int) else None
        fingerprint = output_fingerprint(net, probe) if probe is not None else ""
        return _described(net, desc, module_hash(net, f"{path}|{fingerprint}"), fn_name)
    raise UserError(f"{path}: expected a run directory, a torch.export (.pt2) or TorchScript (.pt) file, or "
                    "module:function")


PROGRAM_SUFFIXES = (".pt2", ".pt", ".ts", ".torchscript")
TRUST_ENV = "TLGAN_TRUST_CODE"  # "1": the CLI's --trust-code (inherited by torchrun workers and subprocesses)


def check_trusted(what: str, trust_code: bool | None = None) -> None:
    """Allow loading ``what`` — a file or module that runs code when loaded or called (torch.export, TorchScript,
    a ``module:function`` factory) — only when the user said so: ``trust_code=True`` or the CLI's ``--trust-code``
    (``TLGAN_TRUST_CODE=1``); UserError otherwise. When allowed, one warning line on stderr."""
    if not (trust_code or os.environ.get(TRUST_ENV) == "1"):
        raise UserError(f"{what} runs code when it is loaded (a torch.export / TorchScript file or a module:function "
                        "factory: like a package you import); pass --trust-code (trust_code=True in Python) if you "
                        "trust its source")
    print(f"warning: {what} runs code with your rights (--trust-code): load only models you trust", file=sys.stderr)


class _Program(nn.Module):
    """A loaded program (``torch.export`` or TorchScript) as a module that takes attributes. A torch.export
    program's train/eval mode was fixed when it was exported (it refuses ``eval()``), so ``train()`` only records
    the flag for it."""

    def __init__(self, program: nn.Module):
        super().__init__()
        self.program = program

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.program(x)

    def train(self, mode: bool = True):
        self.training = mode
        if isinstance(self.program, torch.jit.ScriptModule):
            self.program.train(mode)
        return self


def load_program(path: str | os.PathLike) -> nn.Module:
    """A saved network as a module: a ``torch.export`` program (``.pt2``, the current format; export it with a
    dynamic batch dimension) or a TorchScript file (``.pt``/``.ts``). Both are code: load only files you trust."""
    p = Path(path)
    quiet = logging.getLogger("torch.export")  # it logs a traceback before raising on a damaged file
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        if p.suffix == ".pt2":
            return _Program(torch.export.load(str(p)).module())
        with warnings.catch_warnings():  # the user chose a TorchScript file; PyTorch's advice to move on is for them
            warnings.filterwarnings("ignore", "`torch.jit.load` is deprecated", DeprecationWarning)
            return _Program(torch.jit.load(str(p), map_location="cpu"))
    except (RuntimeError, ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as e:
        kind = "torch.export" if p.suffix == ".pt2" else "TorchScript"
        raise UserError(f"{p}: not a readable {kind} file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") \
            from None
    finally:
        quiet.setLevel(level)


def _descriptor(p: Path) -> dict:
    if not p.with_suffix(".json").exists():
        raise UserError(f"{p}: needs a JSON descriptor beside it ({p.with_suffix('.json').name})")
    return read_json(p.with_suffix(".json"))


def _weights(run: Path, best: bool) -> Path:
    """The inference weights of a run: ``best/generator.safetensors`` if kept (and ``best``), else the last; an
    exported directory holds ``model.safetensors``."""
    weights = run / "best" / "generator.safetensors"
    if best and weights.exists():
        return weights
    for name in ("generator.safetensors", "model.safetensors"):
        if (run / name).exists():
            return run / name
    if "trained_with" in read_json(run / "config.json"):
        raise UserError(f"{run} is an exported generator without its weights (no model.safetensors)")
    raise UserError(f"{run} has no generator weights yet (no generator.safetensors: the run has not written its "
                    "first checkpoint)")


def load_networks(run: str | os.PathLike, names=None) -> dict[str, nn.Module]:
    """Networks ``names`` (default: all) of a run (``RUN/state/<name>.safetensors``), rebuilt from the specs in its
    config.json, in eval mode with gradients off. UserError if the run has no such network."""
    run = Path(run)
    specs = read_json(run / "config.json").get("networks", {})
    out = {}
    for name in specs if names is None else names:
        if name not in specs:
            raise UserError(f"{run} has no network {name!r} (it has: {', '.join(specs) or 'none'})")
        net = load_weights(build_network(specs[name]), run / "state" / f"{name}.safetensors")
        out[name] = net.float().eval().requires_grad_(False)
    return out


def load_network(run: str | os.PathLike, name: str) -> nn.Module:
    """Network ``name`` of a run, as :func:`load_networks`."""
    return load_networks(run, [name])[name]


def _split_space(path) -> tuple[str, str]:
    """"RUN@w" -> ("RUN", "w"); "RUN@Smiling=1,Male=0" -> ("RUN", "Smiling=1,Male=0"); "RUN" -> ("RUN", "z")."""
    text = str(path)
    for space in ("w+", "w", "z"):
        if text.endswith("@" + space):
            return text[: -len(space) - 1], space
    head, at, tail = text.rpartition("@")
    if at and "=" in tail and not Path(text).exists():
        return head, tail
    return text, "z"


class _StyleSynthesis(nn.Module):
    """W / W+ latents -> images through a StyleGenerator's synthesis network (constant noise)."""

    def __init__(self, g, plus: bool):
        super().__init__()
        self.g, self.plus = g, plus

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        n_ws, w_dim = self.g.n_ws, self.g.w_dim
        ws = w.view(len(w), n_ws, w_dim) if self.plus else w[:, None].expand(-1, n_ws, -1)
        return self.g.synthesis(ws)


def _style_space(g: Generator, space: str) -> Generator:
    net = g.net
    if not all(hasattr(net, a) for a in ("map", "synthesis", "n_ws", "w_dim", "truncation")):
        raise UserError(f"{g.name}: only StyleGAN-style generators have a {space.upper()} space (this one has Z)")
    plus = space == "w+"

    def prior(z):
        if plus and hasattr(net, "map_plus"):  # per-layer truncation (an NVIDIA generator's cutoff) kept
            return net.map_plus(z).flatten(1)
        w = net.map(z, net.truncation)
        return w.repeat(1, net.n_ws) if plus else w

    out = Generator(_StyleSynthesis(net, plus), net.w_dim * (net.n_ws if plus else 1), g.resolution, g.channels,
                    g.value_range, f"{g.content_hash}@{space}", f"{g.name}@{space}", prior, net.z_dim)
    out.space, out.n_ws = space, net.n_ws if plus else 1
    return out


def _nvidia_pickle(p: Path, space: str) -> Generator:
    """An NVIDIA StyleGAN2 snapshot opened directly (read without running it: :mod:`tlgan.importers`). ``space``:
    z, w, w+ or sampling settings ``psi=0.7,cutoff=8,class=3,noise=const`` (the Z space at those settings)."""
    from .importers import load_nvidia
    settings = {}
    if "=" in space:
        for part in space.split(","):
            key, _, value = part.partition("=")
            if key not in ("psi", "cutoff", "class", "noise") or not value:
                raise UserError(f"{p}@{space}: settings are psi=, cutoff=, class=, noise= (comma-separated)")
            settings[key] = value
        space = "z"
    try:
        kw = dict(truncation=float(settings.get("psi", 1.0)), noise_mode=settings.get("noise", "const"),
                  truncation_cutoff=int(settings["cutoff"]) if "cutoff" in settings else None,
                  class_index=int(settings["class"]) if "class" in settings else None)
    except ValueError:
        raise UserError(f"{p}@{','.join(f'{k}={v}' for k, v in settings.items())}: psi is a number, cutoff and "
                        "class whole numbers") from None
    net, ckpt = load_nvidia(p, **kw)
    suffix = "".join(f"@{k}={v}" for k, v in sorted(settings.items()))
    g = Generator(net, net.z_dim, net.resolution, net.channels, (-1.0, 1.0), ckpt.sha256[:16] + suffix,
                  p.stem + suffix)
    return g if space == "z" else _style_space(g, space)


def _described(net: nn.Module, desc: dict | None, content_hash: str, name: str) -> Generator:
    need = ("z_dim", "resolution", "channels")
    if not desc or any(k not in desc for k in need):
        raise UserError(f"generator {name}: descriptor must give {', '.join(need)} (and optionally value_range)")
    return Generator(net, desc["z_dim"], desc["resolution"], desc["channels"],
                     desc.get("value_range", (-1.0, 1.0)), content_hash, name)


def export_generator(run, out, half: bool = True, best: bool = True) -> Path:
    """Copy a run's inference generator into ``out`` in the Hugging Face layout: ``config.json``,
    ``model.safetensors`` (fp16 by default), ``README.md`` (a model card, see :func:`model_card`) and, when the run
    has sample grids, ``samples.png``. Returns ``out``."""
    import shutil

    from safetensors.torch import load_file
    run, out = Path(run), Path(out)
    saved = read_json(run / "config.json")
    if "generator" not in saved:
        raise UserError(f"{run} holds no latent generator to export (config.json has no 'generator' entry)")
    # an exported directory (the shipped models too) keeps its run's settings under trained_with
    cfg = {**saved["trained_with"], "generator": saved["generator"]} if "trained_with" in saved else saved
    weights = _weights(run, best)
    metric_file = run / "best" / "metric.json"
    metric = read_json(metric_file) if best and metric_file.exists() else saved.get("best_metric")
    if (run / "samples").exists():
        grids = sorted((run / "samples").glob("step_*.png"))
    else:
        grids = [run / "samples.png"] if (run / "samples.png").exists() else []
    ensure_dir(out)
    save_weights(load_file(str(weights)), out / "model.safetensors", half=half)
    write_json(out / "config.json", {"generator": cfg["generator"], "value_range": cfg.get("value_range", [-1, 1]),
                                     "trained_with": {k: v for k, v in cfg.items() if k != "generator"},
                                     **({"best_metric": metric} if metric else {})})
    if grids and grids[-1].resolve() != (out / "samples.png").resolve():
        shutil.copyfile(grids[-1], out / "samples.png")
    (out / "README.md").write_text(model_card(cfg, metric, bool(grids)))
    return out


def model_card(cfg: dict, metric: dict | None = None, samples: bool = False) -> str:
    """A Hugging Face model card (YAML front matter + Markdown) for a run's config.json ``cfg``; ``metric``: the
    best checkpoint's ``{"metric", "value", "step", "floor"}`` if the run tracked FD."""
    kw = cfg["generator"]["kwargs"]
    data = str(cfg.get("data", "unknown")).split("#")[0]
    if metric:
        fd = f"{metric['metric'].upper()}-{data} {metric['value']:.2f} at step {metric['step']}" + (
            f" (floor, two real splits: {metric['floor']:.2f})" if metric.get("floor") is not None else "")
    else:
        fd = f"not tracked during training; measure it with `tlgan evaluate fd RUN --data {data}`"
    tags = list(dict.fromkeys(["gan", "tlgan", str(cfg.get("model", "gan")), "unconditional-image-generation"]))
    front = "\n".join(["---", "library_name: tlgan", "tags:", *(f"- {t}" for t in tags), "datasets:", f"- {data}",
                       "pipeline_tag: unconditional-image-generation", "---"])
    arch_args = ", ".join(f"{k}={v}" for k, v in kw.items())
    command = f"tlgan train {cfg.get('model')} --data {cfg.get('data')} --resolution {kw.get('resolution')} " \
              f"--steps {cfg.get('steps')} --batch-size {cfg.get('batch_size')} --seed {cfg.get('seed')}"
    lines = [front, "", f"# {cfg.get('model')} generator on {data} ({kw.get('resolution')}×{kw.get('resolution')})",
             "", "A generator trained with tlgan (offline, on a CPU): latents "
             f"z ~ N(0, I) of size {kw.get('z_dim')} -> images in [-1, 1].", "",
             "| | |", "|---|---|", f"| architecture | `{cfg['generator']['arch']}` {arch_args} |",
             f"| data | `{cfg.get('data')}` ({cfg.get('n_data') or 'all'} images, data seed {cfg.get('data_seed')}) |",
             f"| training | {cfg.get('steps')} updates, batch {cfg.get('batch_size')}, seed {cfg.get('seed')} |",
             f"| Fréchet distance | {fd} |", "", "Trained with (other settings in `config.json`, `trained_with`):", "",
             f"    {command}", "", "Use it:", "", "    from tlgan.generator import load_generator",
             "    g = load_generator('THIS_DIRECTORY')", "    z, images = g.sample(16, seed=0)", ""]
    if samples:
        lines += ["![samples at the end of training](samples.png)", ""]
    return "\n".join(lines)


def set_labels(net: nn.Module, run, assignments: str) -> None:
    """Write ``assignments`` ("A=1,B=0", values in [0, 1]) into a conditional run's generator ``net`` (its
    ``labels`` buffer, which ``forward(z)`` draws at). For a run on classes, setting one class to 1 clears the
    others. UserError for an unconditional run, a label it was not conditioned on or a value outside [0, 1]."""
    from .models.conditional import CondGenerator
    cfg = Path(run) / "config.json"
    info = read_json(cfg).get("conditional") if cfg.exists() else None
    if not isinstance(net, CondGenerator) or not info:
        raise UserError(f"labels (--set, RUN@NAME=V) need a conditional run (tlgan train cgan|acgan); {run} is "
                        "not one")
    names, labels = info["labels"], net.labels.clone()
    for item in assignments.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise UserError(f"--set takes LABEL=VALUE pairs separated by commas, got {item!r}")
        if name not in names:
            raise UserError(f"{run} was not conditioned on {name!r}; its labels: {', '.join(names)}")
        try:
            v = float(value)
        except ValueError:
            raise UserError(f"--set {name}: {value!r} is not a number") from None
        if not 0.0 <= v <= 1.0:
            raise UserError(f"--set {name}={value}: label values must be within [0, 1]")
        if info.get("classes") and v > 0:
            labels.zero_()
        labels[names.index(name)] = v
    net.labels.copy_(labels)
