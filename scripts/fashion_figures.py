"""Figures and read-outs of the shipped Fashion-MNIST model for the README (after scripts/build_fashion_model.sh).

1. docs/fashion_sweeps.png — sampled T-shirts (the extractor's T-shirt/top probability > 0.5) moved along the
   width, height and brightness axes, λ = -4 … +4, with the ten class axes locked (the raw geometry axes also
   change the garment's class: wide things are bags, short ones sandals).
2. docs/fashion_real_edits.png — real *test* garments (never seen by G): input | hybrid inversion | wider | longer |
   darker (λ = ±4, class axes locked), with the extractor's and the independent judge's read-out of each edited
   statistic, before -> after;
3. the reconstruction of 64 real test garments by each inversion method (PSNR, SSIM, time per image).

The read-outs and reconstructions go to docs/fashion_figures.json, from which scripts/readme_tables.py writes the
guide's tables.

    python scripts/fashion_figures.py
"""
import os

import torch

from tlgan.data import load_data
from tlgan.data.images import save_grid
from tlgan.extractors import load_extractor, predict_labels
from tlgan.io import write_json
from tlgan.latent.edit import edit_latents
from tlgan.latent.encoder import load_encoder
from tlgan.latent.invert import invert
from tlgan.pretrained import default_paths, resolve_models

m = resolve_models(model="fashion")
g, ax, ext = m.generator, m.axes, m.extractor
p = default_paths("fashion")
judge, enc = load_extractor(p["judge"]), load_encoder(p["encoder"], g)
signed = lambda z: g.to_signed(g(z))  # noqa: E731
classes = [n for n, b in zip(ax.names, ax.binary, strict=True) if b]  # locked: edits keep the garment's class

with torch.no_grad():
    z = g.latents(2000, seed=0)
    tshirt = predict_labels(ext, signed(z), probabilities=True)[:, ext.label_names.index("T-shirt/top")]
    z = z[tshirt > 0.5][:3]
    lams = [-4.0, -2.0, 0.0, 2.0, 4.0]
    rows = [torch.stack([signed(edit_latents(z, ax, {name: lam}, classes)) for lam in lams], 1).flatten(0, 1)
            for name in ("width", "height", "brightness")]
save_grid(torch.cat(rows), "docs/fashion_sweeps.png", nrow=5, col_labels=[f"{lam:+g}" for lam in lams],
          title="rows: width, height, brightness")

test = load_data("fashion", 28, split="test")
labels = test.label_names
pick = [int((test.labels[:, labels.index(c)] == 1).nonzero()[0][0]) for c in ("T-shirt/top", "Dress", "Pullover")]
x = test.batch(torch.tensor(pick))
res = invert(g, x, "hybrid", encoder=enc, extractor=ext)
edits = {"wider": {"width": 4.0}, "longer": {"height": 4.0}, "darker": {"brightness": -4.0}}
with torch.no_grad():
    edited = {k: signed(edit_latents(res.z, ax, e, classes)) for k, e in edits.items()}
save_grid(torch.stack([x, res.recon, *edited.values()], 1).flatten(0, 1), "docs/fashion_real_edits.png", nrow=5,
          col_labels=["test image", "inverted", *edits], title="real test garments, edited (classes locked)")
readouts = {}
for k, e in edits.items():
    name, lam = next(iter(e.items()))
    readouts[k] = {"statistic": name, "lambda": lam, "garments": len(pick)}
    for who, net in (("extractor", ext), ("judge", judge)):
        i = net.label_names.index(name)
        before, after = (predict_labels(net, t)[:, i].mean().item() for t in (res.recon, edited[k]))
        readouts[k][who] = [before, after]
        print(f"{k:7} {who:9} {name} {before:.3f} -> {after:.3f}")
print("wrote docs/fashion_sweeps.png, docs/fashion_real_edits.png")

from tlgan.metrics import psnr, ssim  # noqa: E402

x64 = test.batch(torch.arange(64))
print("method   PSNR dB  SSIM   s/image  (64 real test garments)")
recon = {}
for method in ("opt", "encoder", "hybrid"):
    r = invert(g, x64, method, encoder=enc, extractor=ext)
    recon[method] = {"psnr": psnr(x64, r.recon).mean().item(), "ssim": ssim(x64, r.recon).mean().item(),
                     "seconds_per_image": r.seconds / 64}
    print(f"{method:8} {recon[method]['psnr']:7.2f}  {recon[method]['ssim']:.3f}  {r.seconds / 64:.4f}")
write_json("docs/fashion_figures.json", {"readouts": readouts, "reconstruction": {"garments": 64, "methods": recon},
                                         "threads": torch.get_num_threads(), "cpus": os.cpu_count()})
print("wrote docs/fashion_figures.json")
