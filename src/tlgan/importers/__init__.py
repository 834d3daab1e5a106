"""Open the generators people already own — NVIDIA's StyleGAN2 / StyleGAN2-ADA snapshots and pg-GAN's TensorFlow
pickles — without running them.

``read_nvidia(path)`` reads a ``.pkl`` through the allow-list unpickler (:mod:`tlgan.importers.unpickle`: nothing
stored in the file runs; the source code it carries is kept as text and never executed, imported or written out)
and returns the generator's architecture, init arguments and tensors; ``load_nvidia`` builds tlgan's exact port
(:class:`tlgan.models.stylegan2_nv.NVStyleGAN2` or :class:`tlgan.models.pggan_nv.NVPGGAN`) from them;
``import_checkpoint`` writes an ordinary run directory (``tlgan import``). StyleGAN3 (alias-free) snapshots and the
TensorFlow StyleGAN / StyleGAN2 releases are recognised and refused as not supported yet.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import UserError
from ..io import file_hash
from .unpickle import PersistentRecord, TFNetworkRecord, UnsafeCheckpoint, safe_load

__all__ = ["NVIDIACheckpoint", "UnsafeCheckpoint", "import_checkpoint", "load_nvidia", "read_nvidia", "safe_load"]
NOT_EXECUTED = "read without executing anything in it (tlgan's allow-list unpickler)"
INIT_NAMES = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "synthesis_kwargs")


@dataclass
class NVIDIACheckpoint:
    """A generator read out of an NVIDIA pickle: ``arch`` (``stylegan2_nv`` | ``pggan_nv``), ``kwargs`` (NVIDIA's
    init arguments: StyleGAN2's ``__init__`` kwargs, pg-GAN's ``static_kwargs``), its ``state`` (NVIDIA's tensor
    names), ``source`` (which network: G_ema, G or Gs), the file's ``sha256`` and its ``licence`` if it has one."""
    kwargs: dict
    state: dict[str, torch.Tensor]
    source: str
    sha256: str
    licence: str | None = None
    arch: str = "stylegan2_nv"


def _plain(v):
    """Init kwargs as JSON values (EasyDicts -> dicts, NumPy scalars -> numbers)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    raise UserError(f"an init argument of type {type(v).__name__} is not a plain value")


def _tensors(rec: PersistentRecord, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every parameter and persistent buffer of a persistent module tree, by its dotted name."""
    st, out = rec.state, {}
    skip = st.get("_non_persistent_buffers_set") or set()
    for group in ("_parameters", "_buffers"):
        for k, v in (st.get(group) or {}).items():
            if v is None or (group == "_buffers" and k in skip):
                continue
            if not isinstance(v, torch.Tensor):
                raise UserError(f"{prefix}{k} is not a tensor")
            out[prefix + k] = v.detach()
    for k, m in (st.get("_modules") or {}).items():
        if m is None:
            continue
        if not isinstance(m, PersistentRecord):
            raise UserError(f"submodule {prefix}{k} is not one of the checkpoint's own networks")
        out |= _tensors(m, f"{prefix}{k}.")
    return out


def read_nvidia(path) -> NVIDIACheckpoint:
    """The generator of a stylegan2-ada-pytorch snapshot (``G_ema``, else ``G``): init kwargs and tensors.
    UserError (one line) for anything else: another structure, a StyleGAN3 or TensorFlow file, a refused global."""
    path = Path(path)
    obj = safe_load(path)
    if isinstance(obj, TFNetworkRecord) or (isinstance(obj, tuple) and obj and isinstance(obj[-1], TFNetworkRecord)):
        return _read_tf(path, obj[-1] if isinstance(obj, tuple) else obj)
    if not isinstance(obj, dict) or not any(isinstance(obj.get(k), PersistentRecord) for k in ("G_ema", "G")):
        kind = f"a dict with keys {sorted(map(str, obj))[:6]}" if isinstance(obj, dict) else type(obj).__name__
        raise UserError(f"{path}: not an NVIDIA StyleGAN2 snapshot (expected a dict with G_ema or G; found {kind})")
    source = "G_ema" if isinstance(obj.get("G_ema"), PersistentRecord) else "G"
    g = obj[source]
    if g.class_name != "Generator":
        raise UserError(f"{path}: {source} is a {g.class_name!r}, not NVIDIA's Generator")
    synth = (g.state.get("_modules") or {}).get("synthesis")
    if isinstance(synth, PersistentRecord) and "input" in (synth.state.get("_modules") or {}):
        raise UserError(f"{path}: a StyleGAN3 (alias-free) generator; tlgan reads StyleGAN2 / StyleGAN2-ADA "
                        "snapshots and does not support StyleGAN3 yet")
    args, kwargs = list(g.state.get("_init_args") or ()), dict(g.state.get("_init_kwargs") or {})
    kwargs |= dict(zip(INIT_NAMES, args, strict=False))
    missing = [k for k in INIT_NAMES[:5] if k not in kwargs]
    if missing:
        raise UserError(f"{path}: the generator's init arguments lack {', '.join(missing)}")
    kwargs = _plain(kwargs)
    licence = next((str(obj[k]) for k in ("license", "licence", "LICENSE") if k in obj), None)
    return NVIDIACheckpoint(kwargs, _tensors(g), source, file_hash(path, None), licence)


def _read_tf(path: Path, net: TFNetworkRecord) -> NVIDIACheckpoint:
    """``Gs`` (the last network of the (G, D, Gs) tuple) of pg-GAN (``G_paper``: its static kwargs and variables)
    or of StyleGAN2-TF (``G_main``: translated to the PyTorch generator's names and layouts)."""
    from .tf_networks import collect, convert
    st = net.state
    func = st.get("build_func_name")
    if func not in ("G_main", "G_paper"):
        raise UserError(f"{path}: a TensorFlow NVIDIA network built by {func!r}: tlgan reads pg-GAN (G_paper) and "
                        "StyleGAN2 (G_main); the first StyleGAN (G_style) is not supported yet")
    try:
        if func == "G_main":
            kwargs, state = convert(net)
            return NVIDIACheckpoint(kwargs, state, str(st.get("name", "Gs")), file_hash(path, None), None,
                                    "stylegan2_nv")
        state = {name: torch.from_numpy(v) for name, v in collect(net).items()}
    except UserError as e:
        raise UserError(f"{path}: {e}") from None
    if "4x4/Dense/weight" not in state or not isinstance(st.get("static_kwargs"), dict):
        raise UserError(f"{path}: no 4x4/Dense/weight or static kwargs in the pg-GAN network")
    kwargs = _plain(st["static_kwargs"])
    kwargs["latent_size"] = int(state["4x4/Dense/weight"].shape[0]) - int(kwargs.get("label_size", 0))
    return NVIDIACheckpoint(kwargs, state, str(st.get("name", "Gs")), file_hash(path, None), None, "pggan_nv")


def port_kwargs(ckpt: NVIDIACheckpoint, truncation: float = 1.0, truncation_cutoff: int | None = None,
                class_index: int | None = None, noise_mode: str = "const") -> dict:
    """The spec kwargs of tlgan's port for a checkpoint at these sampling settings (pg-GAN has no truncation or
    noise: only ``class_index`` applies)."""
    k = ckpt.kwargs
    if ckpt.arch == "pggan_nv":
        if truncation != 1.0 or truncation_cutoff is not None:
            raise UserError("pg-GAN has no truncation: drop --truncation")
        return dict(z_dim=k["latent_size"], resolution=int(k.get("resolution", 32)),
                    channels=int(k.get("num_channels", 1)), label_size=int(k.get("label_size", 0)),
                    variables={n: list(t.shape) for n, t in ckpt.state.items()},
                    fused_scale="8x8/Conv0_up/weight" in ckpt.state or "8x8/Conv0/weight" not in ckpt.state,
                    **{f: bool(k[f]) for f in ("normalize_latents", "use_wscale", "use_pixelnorm", "use_leakyrelu")
                       if f in k}, class_index=class_index)
    return dict(z_dim=k["z_dim"], c_dim=k["c_dim"], w_dim=k["w_dim"], resolution=k["img_resolution"],
                channels=k["img_channels"], mapping=k.get("mapping_kwargs") or {},
                synthesis=k.get("synthesis_kwargs") or {}, truncation=truncation, truncation_cutoff=truncation_cutoff,
                class_index=class_index, noise_mode=noise_mode)


def load_nvidia(path, truncation: float = 1.0, truncation_cutoff: int | None = None, class_index: int | None = None,
                noise_mode: str = "const", quiet: bool = False):
    """(tlgan's port with the checkpoint's weights, in eval mode; the :class:`NVIDIACheckpoint`)."""
    from ..models.registry import build_network, spec
    from ..models.stylegan2_nv import lowpass_filter
    ckpt = read_nvidia(path)
    with torch.device("meta"):  # no weights of its own: the file's tensors become the network's (one copy)
        net = build_network(spec(ckpt.arch, **port_kwargs(ckpt, truncation, truncation_cutoff, class_index,
                                                          noise_mode)))
    state = {("v." + k if ckpt.arch == "pggan_nv" else k): v for k, v in ckpt.state.items()}
    own = {k: lowpass_filter() for k in net.state_dict() if k.endswith("resample_filter")}  # the fixed filters
    try:
        net.load_state_dict({**own, **state}, strict=True, assign=True)
    except RuntimeError as e:
        raise UserError(f"{path}: the weights do not fit a {ckpt.arch} generator of these settings "
                        f"({str(e).splitlines()[0]})") from None
    if not quiet:
        print(f"{path}: {ckpt.source} {NOT_EXECUTED}", file=sys.stderr)
    return net.eval(), ckpt


def import_checkpoint(path, out, truncation: float = 1.0, truncation_cutoff: int | None = None,
                      class_index: int | None = None, noise_mode: str = "const") -> Path:
    """Write NVIDIA checkpoint ``path`` as a tlgan run directory ``out``: ``generator.safetensors`` (float32, the
    file's exact values), ``config.json`` (the port's spec) and a model card (``README.md``) naming the source
    file, its SHA-256 and its licence field if any. Returns ``out``."""
    from ..io import ensure_dir, save_weights, write_json
    from ..models.registry import spec
    net, ckpt = load_nvidia(path, truncation, truncation_cutoff, class_index, noise_mode)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} already exists and is not empty; choose another --out")
    ensure_dir(out)
    save_weights(net.state_dict(), out / "generator.safetensors")
    write_json(out / "config.json", {
        "generator": spec(ckpt.arch, **port_kwargs(ckpt, truncation, truncation_cutoff, class_index, noise_mode)),
        "value_range": [-1.0, 1.0], "model": "imported",
        "imported": {"file": Path(path).name, "sha256": ckpt.sha256, "network": ckpt.source,
                     "licence": ckpt.licence, "init_kwargs": ckpt.kwargs}})
    kind = "pg-GAN" if ckpt.arch == "pggan_nv" else "StyleGAN2"
    (out / "README.md").write_text(
        f"# Imported {kind} generator\n\n- source file: `{Path(path).name}`\n- SHA-256: `{ckpt.sha256}`\n"
        f"- network: `{ckpt.source}`, {net.resolution}×{net.resolution} px, z_dim {net.z_dim}\n"
        f"- sampling: truncation ψ {truncation} (cutoff "
        f"{truncation_cutoff}), class {class_index}, noise {noise_mode}\n- licence: "
        f"{ckpt.licence or 'none recorded in the file: the weights keep the licence they were published under'}\n\n"
        f"The weights were {NOT_EXECUTED}; the source code stored in the pickle was not run or kept.\n")
    return out
