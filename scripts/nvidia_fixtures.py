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
    write_json(ROOT / "docs" / "nvidia_exactness.json", report)


if __name__ == "__main__":
    main()
