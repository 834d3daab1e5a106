"""Measure the editor's upload warning threshold: how well the shipped faces model reconstructs held-out faces vs
images that are not faces, with the server's own inversion (hybrid: encoder + 40 steps).

    python scripts/upload_check.py [--n 64] [--out DIR/upload_check.json] [--device auto]   # DIR: the shipped encoder

Non-face images: Fashion-MNIST garments and scikit-learn digits (grey, put on the model's 3 channels), smooth colour
gradients ("sky", "landscape" bands) and uniform noise, at the model's size. The threshold is the 5th percentile of
the faces' reconstruction PSNR: 95% of faces pass by construction; the file also records how many non-faces fall
below it (the warning's catch rate) and both distributions. The editor warns below the threshold.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch


def non_faces(n: int, resolution: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Images that are not faces, (n, 3, R, R) in [-1, 1] per kind."""
    from tlgan.data import load_data
    from tlgan.data.images import resize, to_model_range
    g = torch.Generator().manual_seed(seed)
    grey = lambda d: resize(to_model_range(d.x[:n]), resolution).expand(-1, 3, -1, -1).contiguous()  # noqa: E731
    t = torch.linspace(-1, 1, resolution)
    top, bottom = torch.rand(n, 3, 1, 1, generator=g) * 2 - 1, torch.rand(n, 3, 1, 1, generator=g) * 2 - 1
    sky = top + (bottom - top) * (t.view(1, 1, -1, 1) + 1) / 2
    bands = torch.where(t.view(1, 1, -1, 1) < (torch.rand(n, 1, 1, 1, generator=g) - 0.5), top, bottom)
    return {"garments": grey(load_data("fashion", split="test")), "digits": grey(load_data("digits", split="test")),
            "gradients": sky.expand(-1, -1, -1, resolution).contiguous(),
            "landscape bands": (bands + 0.1 * torch.randn(n, 3, resolution, resolution, generator=g)).clamp(-1, 1),
            "noise": torch.rand(n, 3, resolution, resolution, generator=g) * 2 - 1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=64, help="images per kind")
    ap.add_argument("--out", type=Path, help="default: upload_check.json in the shipped encoder's folder")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    args = ap.parse_args()
    from tlgan.data import FACES_TEST_OFFSET
    from tlgan.data.faces import render_faces
    from tlgan.data.images import resize, to_model_range
    from tlgan.device import to_device
    from tlgan.io import write_json
    from tlgan.latent.encoder import load_encoder
    from tlgan.latent.invert import OptSettings, invert
    from tlgan.metrics import psnr
    from tlgan.pretrained import default_paths, resolve_models
    m = resolve_models()
    g, enc = m.generator, load_encoder(default_paths()["encoder"], m.generator)
    to_device(args.device, g, m.extractor)  # the encoder stays on the CPU, as in `tlgan evaluate inversion`
    args.out = args.out or default_paths()["encoder"] / "upload_check.json"
    r = g.resolution
    faces = resize(to_model_range(render_faces(args.n, seed=3, resolution=r, start=FACES_TEST_OFFSET + 500)[0]), r)
    kinds = {"faces": faces, **non_faces(args.n, r)}
    scores = {}
    for name, x in kinds.items():
        res = invert(g, x, "hybrid", encoder=enc, extractor=m.extractor, settings=OptSettings(steps=300))
        scores[name] = psnr(x, res.recon).numpy()
        med, p5 = np.median(scores[name]), np.percentile(scores[name], 5)
        print(f"{name:16s} PSNR median {med:5.2f} dB, 5th percentile {p5:5.2f} dB")
    threshold = float(np.percentile(scores["faces"], 5))
    others = np.concatenate([v for k, v in scores.items() if k != "faces"])
    report = {"threshold_db": threshold, "method": "hybrid (encoder + 40 steps), as the server inverts uploads",
              "n_per_kind": args.n, "faces_pass_rate": float((scores["faces"] >= threshold).mean()),
              "non_faces_flagged_rate": float((others < threshold).mean()),
              "by_kind": {k: {"median_db": float(np.median(v)), "p5_db": float(np.percentile(v, 5)),
                              "p95_db": float(np.percentile(v, 95)), "flagged_rate": float((v < threshold).mean())}
                          for k, v in scores.items()}}
    write_json(args.out, report)
    print(f"threshold {threshold:.2f} dB: {report['faces_pass_rate']:.0%} of faces pass, "
          f"{report['non_faces_flagged_rate']:.0%} of non-faces are flagged; wrote {args.out}")


if __name__ == "__main__":
    main()
