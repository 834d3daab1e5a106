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

import torch


def non_faces(n: int, resolution: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Images that are not faces, (n, 3, R, R) in [-1, 1] per kind: garments, digits, colour gradients, landscape
    bands and noise."""
    from tlgan.data import load_data
    from tlgan.data.images import resize, to_model_range
    from tlgan.latent.upload_check import unlike_images
    g = torch.Generator().manual_seed(seed)
    grey = lambda d: resize(to_model_range(d.x[:n]), resolution).expand(-1, 3, -1, -1).contiguous()  # noqa: E731
    t = torch.linspace(-1, 1, resolution)
    top, bottom = torch.rand(n, 3, 1, 1, generator=g) * 2 - 1, torch.rand(n, 3, 1, 1, generator=g) * 2 - 1
    bands = torch.where(t.view(1, 1, -1, 1) < (torch.rand(n, 1, 1, 1, generator=g) - 0.5), top, bottom)
    plain = unlike_images(n, resolution, seed=seed)
    return {"garments": grey(load_data("fashion", split="test")), "digits": grey(load_data("digits", split="test")),
            "gradients": plain["gradients"],
            "landscape bands": (bands + 0.1 * torch.randn(n, 3, resolution, resolution, generator=g)).clamp(-1, 1),
            "noise": plain["noise"]}


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
    from tlgan.latent.upload_check import FILE, measure
    from tlgan.pretrained import default_paths, resolve_models
    m = resolve_models()
    g, enc = m.generator, load_encoder(default_paths()["encoder"], m.generator)
    to_device(args.device, g, m.extractor)  # the encoder stays on the CPU, as in `tlgan evaluate inversion`
    args.out = args.out or default_paths()["encoder"] / FILE
    r = g.resolution
    faces = resize(to_model_range(render_faces(args.n, seed=3, resolution=r, start=FACES_TEST_OFFSET + 500)[0]), r)
    report = measure(g, enc, m.extractor, faces, non_faces(args.n, r), log=print)
    write_json(args.out, report)
    print(f"threshold {report['threshold_db']:.2f} dB: {report['real_pass_rate']:.0%} of held-out faces pass, "
          f"{report['unlike_flagged_rate']:.0%} of non-faces are flagged; wrote {args.out}")


if __name__ == "__main__":
    main()
