"""Forward time per image of tlgan's StyleGAN2 port at 64, 256 and 1024 px on this machine, beside NVIDIA's
reference code on the same weights in the same run when a stylegan2-ada-pytorch checkout is given.

    python benchmarks/import_forward.py [--reference /path/to/stylegan2-ada-pytorch] [--json docs/import_forward.json]

Weights are random (the timing does not depend on them); the configurations are NVIDIA's usual shapes: 64 px
(channel base 16384, 2 mapping layers, as their cifar config), 256 px (16384, 8 layers: paper256) and 1024 px
(32768, 8 layers: FFHQ). One image at a time (the editor's case), noise const, float32, median of timed runs after a
warm-up; the reference runs with force_fp32 (its fp16 layers are a GPU feature).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SHAPES = {64: (16384, 2), 256: (16384, 8), 1024: (32768, 8)}


def _time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", help="a stylegan2-ada-pytorch checkout (outside this repository)")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "import_forward.json")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from tlgan.io import write_json
    from tlgan.models.stylegan2_nv import NVStyleGAN2
    if args.reference:
        sys.path.insert(0, args.reference)
        from training.networks import Generator
    rows = {}
    torch.manual_seed(0)
    for res, (base, layers) in SHAPES.items():
        kw = dict(z_dim=512, c_dim=0, w_dim=512, mapping_kwargs=dict(num_layers=layers),
                  synthesis_kwargs=dict(channel_base=base, channel_max=512, num_fp16_res=4, conv_clamp=256))
        port = NVStyleGAN2(512, 0, 512, res, 3, kw["mapping_kwargs"], kw["synthesis_kwargs"]).eval()
        z = torch.randn(1, 512)
        repeats = max(2, args.repeats // (2 if res == 1024 else 1))
        with torch.no_grad():
            row = {"params_m": sum(p.numel() for p in port.parameters()) / 1e6,
                   "port_s": _time(lambda: port(z), repeats)}  # noqa: B023
            if args.reference:
                ref = Generator(img_resolution=res, img_channels=3, **kw).eval()
                ref.load_state_dict(port.state_dict())
                row["reference_s"] = _time(lambda: ref(z, None, noise_mode="const", force_fp32=True), repeats)  # noqa: B023
                row["ratio"] = row["port_s"] / row["reference_s"]
                row["max_abs_diff"] = float((port(z) - ref(z, None, noise_mode="const", force_fp32=True)).abs().max())
        rows[str(res)] = row
        print(f"{res:5d} px  {row['params_m']:5.1f} M params  port {row['port_s'] * 1e3:8.1f} ms/image" +
              (f"  reference {row['reference_s'] * 1e3:8.1f} ms  ratio {row['ratio']:.2f}  max|Δ| "
               f"{row['max_abs_diff']:.1e}" if args.reference else ""), flush=True)
    write_json(args.json, {"threads": torch.get_num_threads(), "torch": torch.__version__, "rows": rows})


if __name__ == "__main__":
    main()
