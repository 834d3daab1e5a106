"""NVIDIA's TensorFlow networks, read without TensorFlow: ``collect`` gathers a network's variables (pg-GAN's and
StyleGAN2's alike); ``convert`` translates StyleGAN2's TensorFlow release (``dnnlib.tflib.network.Network`` built by
``G_main``) to the init arguments and tensor names of tlgan's StyleGAN2 port.

TensorFlow stores dense weights [in, out], convolutions [k, k, in, out] (the up-sampling convolution's kernel
mirrored), the affine (style) biases without their initial 1, the 4×4 constant and the noise maps with leading unit
axes, and the noise maps apart from their layers (``synthesis/noise{i}``, two per resolution but the first).
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch

from ..errors import UserError
from .unpickle import TFNetworkRecord


def collect(net: TFNetworkRecord, prefix: str = "") -> dict[str, np.ndarray]:
    """Every variable of a TensorFlow network and its components by its scoped name (``mapping/Dense0/weight``)."""
    st = net.state
    variables, components = st.get("variables"), st.get("components") or {}
    if not isinstance(variables, list) or not isinstance(components, dict):
        raise UserError("a TensorFlow network's variables or components are malformed")
    out = {}
    for item in variables:
        if not (isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], np.ndarray | np.generic | float)):
            raise UserError("a TensorFlow network's variables are not (name, array) pairs")
        out[prefix + item[0]] = np.asarray(item[1], dtype=np.float32)
    for name, comp in components.items():
        if not isinstance(comp, TFNetworkRecord):
            raise UserError(f"component {name!r} of a TensorFlow network is not a network")
        out |= collect(comp, f"{prefix}{name}/")
    return out


def convert(net: TFNetworkRecord) -> tuple[dict, dict[str, torch.Tensor]]:
    """(NVIDIA's PyTorch init kwargs, state dict under the PyTorch generator's names) of a StyleGAN2-TF ``Gs``."""
    k = net.state.get("static_kwargs") or {}
    tf = collect(net)
    if any(re.fullmatch(r"synthesis/ToRGB_lod\d+/.*", n) for n in tf):
        raise UserError("a StyleGAN2-TF generator of the 'orig' architecture; tlgan reads the 'skip' one")
    res = int(k.get("resolution", 1024))
    kwargs = {"z_dim": int(k.get("latent_size", 512)), "c_dim": int(k.get("label_size", 0)),
              "w_dim": int(k.get("dlatent_size", 512)), "img_resolution": res,
              "img_channels": int(k.get("num_channels", 3)),
              "mapping_kwargs": {"num_layers": int(k.get("mapping_layers", 8)),
                                 "embed_features": k.get("label_fmaps"), "layer_features": k.get("mapping_fmaps"),
                                 "activation": k.get("mapping_nonlinearity", "lrelu"),
                                 "lr_multiplier": float(k.get("mapping_lrmul", 0.01))},
              "synthesis_kwargs": {"channel_base": int(k.get("fmap_base", 16384)) * 2,
                                   "channel_max": int(k.get("fmap_max", 512)),
                                   "num_fp16_res": int(k.get("num_fp16_res", 0)), "conv_clamp": k.get("conv_clamp"),
                                   "architecture": k.get("architecture", "skip"),
                                   "activation": k.get("nonlinearity", "lrelu")}}

    def get(name: str) -> np.ndarray:
        if name not in tf:
            raise UserError(f"the StyleGAN2-TF generator has no variable {name}")
        return tf[name]

    def conv(w):  # [k, k, in, out] -> [out, in, k, k]
        return w.transpose(3, 2, 0, 1)

    state = {"mapping.w_avg": get("dlatent_avg")}
    if kwargs["c_dim"]:
        state |= {"mapping.embed.weight": get("mapping/LabelEmbed/weight").T,
                  "mapping.embed.bias": get("mapping/LabelEmbed/bias")}
    for i in range(kwargs["mapping_kwargs"]["num_layers"]):
        state |= {f"mapping.fc{i}.weight": get(f"mapping/Dense{i}/weight").T,
                  f"mapping.fc{i}.bias": get(f"mapping/Dense{i}/bias")}

    def layer(ours: str, theirs: str, weight: np.ndarray, noise: int | None) -> None:
        state.update({f"{ours}.weight": weight, f"{ours}.bias": get(f"{theirs}/bias"),
                      f"{ours}.affine.weight": get(f"{theirs}/mod_weight").T,
                      f"{ours}.affine.bias": get(f"{theirs}/mod_bias") + 1})
        if noise is not None:
            state.update({f"{ours}.noise_const": get(f"synthesis/noise{noise}")[0, 0],
                          f"{ours}.noise_strength": get(f"{theirs}/noise_strength")})

    for r in (2 ** i for i in range(2, int(math.log2(res)) + 1)):
        s, b, log = f"synthesis/{r}x{r}", f"synthesis.b{r}", int(math.log2(r))
        if r == 4:
            state[f"{b}.const"] = get(f"{s}/Const/const")[0]
            layer(f"{b}.conv1", f"{s}/Conv", conv(get(f"{s}/Conv/weight")), 0)
        else:
            layer(f"{b}.conv0", f"{s}/Conv0_up", conv(get(f"{s}/Conv0_up/weight")[::-1, ::-1]), 2 * log - 5)
            layer(f"{b}.conv1", f"{s}/Conv1", conv(get(f"{s}/Conv1/weight")), 2 * log - 4)
        layer(f"{b}.torgb", f"{s}/ToRGB", conv(get(f"{s}/ToRGB/weight")), None)
    return kwargs, {n: torch.from_numpy(np.ascontiguousarray(v)) for n, v in state.items()}
