"""Make the NVIDIA-checkpoint test fixtures and measure the port's exactness against the reference code.

    python scripts/nvidia_fixtures.py --reference /path/to/stylegan2-ada-pytorch   # a checkout OUTSIDE this repo

For each configuration below it builds NVIDIA's own Generator with the reference code, perturbs its weights (so
noise, biases and w_avg all matter), pickles a snapshot exactly as their training loop does, and records the
reference's ws and images for fixed z, c and ψ (noise_mode='const', force_fp32=True). The snapshot is then read by
tlgan's allow-list reader and written back by tlgan's writer with every module_src emptied
(tests/fixtures/nvidia/<name>.pkl), beside the reference outputs (<name>/*.npy); tests/test_importers.py compares
the port with them without NVIDIA's code. The port's max |Δ| against the reference, measured here on the original
snapshot, goes to docs/nvidia_exactness.json. Nothing from the reference code is copied into this repository.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {  # name: NVIDIA Generator init kwargs, sampling settings
    "sg2_32_map8": (dict(z_dim=32, c_dim=0, w_dim=32, img_resolution=32, img_channels=3,
                         mapping_kwargs=dict(num_layers=8),
                         synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=0, conv_clamp=None)),
                    dict(psi=0.7, cutoff=None, c=None)),
    "sg2ada_64_map2_fp16": (dict(z_dim=32, c_dim=0, w_dim=32, img_resolution=64, img_channels=3,
                                 mapping_kwargs=dict(num_layers=2),
                                 synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=2,
                                                       conv_clamp=256)),
                            dict(psi=0.5, cutoff=4, c=None)),
    "sg2ada_32_cond": (dict(z_dim=16, c_dim=4, w_dim=32, img_resolution=32, img_channels=3,
                            mapping_kwargs=dict(num_layers=2),
                            synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=0, conv_clamp=256)),
                       dict(psi=1.0, cutoff=None, c=2)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", required=True, help="a stylegan2-ada-pytorch checkout (outside this repository)")
    ap.add_argument("--scratch", default="/tmp/tlgan_nvidia_scratch", help="where the original snapshots go")
    args = ap.parse_args()
    sys.path.insert(0, args.reference)
    from training.networks import Generator  # NVIDIA's code, from the checkout given

    from tlgan.importers import load_nvidia
    from tlgan.importers.unpickle import safe_load
    from tlgan.importers.writer import dumps
    from tlgan.io import write_json
    scratch, fixtures = Path(args.scratch), ROOT / "tests" / "fixtures" / "nvidia"
    scratch.mkdir(parents=True, exist_ok=True)
    report = {"reference": "NVlabs/stylegan2-ada-pytorch training/networks.py (CPU, float32)", "configs": {}}
    for i, (name, (kwargs, s)) in enumerate(CONFIGS.items()):
        torch.manual_seed(100 + i)
        g = Generator(**kwargs)
        with torch.no_grad():
            for p in g.parameters():
                p.add_(0.3 * torch.randn_like(p))
            zs = torch.randn(4096, kwargs["z_dim"])
            cs = torch.nn.functional.one_hot(torch.randint(max(kwargs["c_dim"], 1), (4096,)), max(kwargs["c_dim"], 1))
            g.mapping.w_avg.copy_(g.mapping(zs, cs[:, :kwargs["c_dim"]].float(), skip_w_avg_update=True)[:, 0].mean(0))
        g.eval()
        snapshot = scratch / f"{name}.pkl"
        with open(snapshot, "wb") as f:
            pickle.dump({"G": g, "D": None, "G_ema": g, "augment_pipe": None, "training_set_kwargs": None}, f)
        z = torch.randn(6, kwargs["z_dim"], generator=torch.Generator().manual_seed(7))
        c = None if s["c"] is None else torch.nn.functional.one_hot(torch.full((6,), s["c"]), kwargs["c_dim"]).float()
        with torch.no_grad():
            ws = g.mapping(z, c, truncation_psi=s["psi"], truncation_cutoff=s["cutoff"])
            img = g.synthesis(ws, noise_mode="const", force_fp32=True)
            port, _ = load_nvidia(snapshot, s["psi"], s["cutoff"], s["c"], quiet=True)
            ws_port, img_port = port.map_plus(z), port(z)
        out = fixtures / name
        out.mkdir(parents=True, exist_ok=True)
        for key, arr in {"z": z, "ws": ws, "img": img}.items():
            np.save(out / f"{key}.npy", arr.numpy().astype(np.float32))
        write_json(out / "settings.json", {**s, "init_kwargs": kwargs})
        (fixtures / f"{name}.pkl").write_bytes(dumps({"G_ema": safe_load(snapshot)["G_ema"]}))
        report["configs"][name] = {"init_kwargs": kwargs, "sampling": s,
                                   "max_abs_diff_img": float((img - img_port).abs().max()),
                                   "max_abs_diff_ws": float((ws - ws_port).abs().max()),
                                   "img_abs_max": float(img.abs().max())}
        print(f"{name}: max |Δ| image {report['configs'][name]['max_abs_diff_img']:.2e}, ws "
              f"{report['configs'][name]['max_abs_diff_ws']:.2e}")
    report["configs"]["sg2tf_32"] = tf_fixture(scratch, fixtures)
    write_json(ROOT / "docs" / "nvidia_exactness.json", report)


def _tf_variables(g) -> tuple[list, list, list]:
    """A PyTorch StyleGAN2 generator's weights in the StyleGAN2-TF layout: (G's own, mapping's, synthesis's)."""
    sd = {k: v.numpy() for k, v in g.state_dict().items()}
    mapping = []
    for i in range(g.mapping.num_layers):
        mapping += [(f"Dense{i}/weight", sd[f"mapping.fc{i}.weight"].T.copy()),
                    (f"Dense{i}/bias", sd[f"mapping.fc{i}.bias"])]
    synthesis, noise = [], []

    def layer(ours, theirs, weight):
        return [(f"{theirs}/weight", weight), (f"{theirs}/bias", sd[f"{ours}.bias"]),
                (f"{theirs}/mod_weight", sd[f"{ours}.affine.weight"].T.copy()),
                (f"{theirs}/mod_bias", sd[f"{ours}.affine.bias"] - 1)] + (
            [(f"{theirs}/noise_strength", sd[f"{ours}.noise_strength"])] if f"{ours}.noise_strength" in sd else [])

    for r in g.synthesis.block_resolutions:
        b, s = f"synthesis.b{r}", f"{r}x{r}"
        if r == 4:
            synthesis.append((f"{s}/Const/const", sd[f"{b}.const"][None]))
            synthesis += layer(f"{b}.conv1", f"{s}/Conv", sd[f"{b}.conv1.weight"].transpose(2, 3, 1, 0).copy())
            noise.append(sd[f"{b}.conv1.noise_const"])
        else:
            synthesis += layer(f"{b}.conv0", f"{s}/Conv0_up",
                               sd[f"{b}.conv0.weight"].transpose(2, 3, 1, 0)[::-1, ::-1].copy())
            synthesis += layer(f"{b}.conv1", f"{s}/Conv1", sd[f"{b}.conv1.weight"].transpose(2, 3, 1, 0).copy())
            noise += [sd[f"{b}.conv0.noise_const"], sd[f"{b}.conv1.noise_const"]]
        synthesis += layer(f"{b}.torgb", f"{s}/ToRGB", sd[f"{b}.torgb.weight"].transpose(2, 3, 1, 0).copy())
    synthesis += [(f"noise{i}", n[None, None].copy()) for i, n in enumerate(noise)]
    return [("dlatent_avg", sd["mapping.w_avg"])], mapping, synthesis


def tf_fixture(scratch: Path, fixtures: Path) -> dict:
    """A StyleGAN2-TF pickle (G_main, version 4) made from a perturbed PyTorch generator; the reference images come
    from NVIDIA's own converter (legacy.py) run on that pickle, so the check covers tlgan's translation of names
    and layouts as well as the port."""
    import legacy  # NVIDIA's converter, from the checkout given
    from training.networks import Generator

    from tlgan.importers import load_nvidia
    from tlgan.importers.unpickle import TFNetworkRecord
    from tlgan.importers.writer import dumps
    torch.manual_seed(200)
    static = dict(latent_size=32, label_size=0, dlatent_size=32, resolution=32, num_channels=3, mapping_layers=4,
                  fmap_base=256, fmap_max=32)
    g = Generator(z_dim=32, c_dim=0, w_dim=32, img_resolution=32, img_channels=3, mapping_kwargs=dict(num_layers=4),
                  synthesis_kwargs=dict(channel_base=512, channel_max=32))
    with torch.no_grad():
        for p in g.parameters():
            p.add_(0.3 * torch.randn_like(p))
        g.mapping.w_avg.copy_(torch.randn(32) * 0.3)
    own, mapping, synthesis = _tf_variables(g.eval())

    def net(name, variables, components=None, func="G_main"):
        rec = TFNetworkRecord()
        rec.__setstate__({"version": 4, "name": name, "static_kwargs": static if func == "G_main" else {},
                          "components": components or {}, "build_module_src": "", "build_func_name": func,
                          "variables": variables})
        return rec

    gs = net("G_synthesis_1", own, {"mapping": net("G_mapping", mapping, func="G_mapping"),
                                   "synthesis": net("G_synthesis", synthesis, func="G_synthesis_stylegan2")})
    path = fixtures / "sg2tf_32.pkl"
    path.write_bytes(dumps((gs, gs, gs)))
    with open(path, "rb") as f:
        stub = legacy._LegacyUnpickler(f).load()[2]
    ref = legacy.convert_tf_generator(stub).eval()
    s = dict(psi=0.7, cutoff=None, c=None)
    z = torch.randn(6, 32, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        ws = ref.mapping(z, None, truncation_psi=s["psi"])
        img = ref.synthesis(ws, noise_mode="const", force_fp32=True)
        port, _ = load_nvidia(path, s["psi"], quiet=True)
        ws_port, img_port = port.map_plus(z), port(z)
    out = fixtures / "sg2tf_32"
    out.mkdir(parents=True, exist_ok=True)
    for key, arr in {"z": z, "ws": ws, "img": img}.items():
        np.save(out / f"{key}.npy", arr.numpy().astype(np.float32))
    from tlgan.io import write_json
    kwargs = {"static_kwargs": static, "format": "StyleGAN2-TF (dnnlib.tflib.network.Network, G_main)"}
    write_json(out / "settings.json", {**s, "init_kwargs": kwargs})
    row = {"init_kwargs": kwargs, "sampling": s, "max_abs_diff_img": float((img - img_port).abs().max()),
           "max_abs_diff_ws": float((ws - ws_port).abs().max()), "img_abs_max": float(img.abs().max())}
    print(f"sg2tf_32: max |Δ| image {row['max_abs_diff_img']:.2e}, ws {row['max_abs_diff_ws']:.2e}")
    return row


if __name__ == "__main__":
    main()
