"""Real-image inversion on the shipped faces model: every method side by side in one run.

Prints, per method, PSNR / SSIM on held-out rendered faces, median latent cosine on G's own samples and time per
image, then the targets: hybrid PSNR within 1 dB of 1,000-step optimisation at <= 5% of its time, encoder
< 10 ms/image, hybrid < 1 s/image, and (from the counterfactual edits) the flip rate of inverted real faces
>= 0.8x that of sampled faces. With --front it also trains one encoder per latent-consistency weight and plots
reconstruction error against counterfactual edit success (the distortion-editability front).

    python benchmarks/inversion.py [--n 64] [--front 0.1,1,10 --front-steps 1500 --png docs/inversion_front.png]
                                   [--front-only] [--json OUT.json]
"""
import argparse
import tempfile

import torch

from tlgan.extractors import load_extractor
from tlgan.io import write_json
from tlgan.latent.encoder import load_encoder, train_encoder
from tlgan.latent.inversion_eval import counterfactual_edits, reconstruction, report, summarise, targets
from tlgan.pretrained import default_paths, resolve_models

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=64)
ap.add_argument("--opt-steps", type=int, default=1000)
ap.add_argument("--front", default="", help="comma-separated latent-consistency weights to train encoders for")
ap.add_argument("--front-steps", type=int, default=1500)
ap.add_argument("--png", default="docs/inversion_front.png")
ap.add_argument("--front-only", action="store_true", help="skip the shipped encoder's figures; only the front")
ap.add_argument("--json")
args = ap.parse_args()

p = default_paths()
m = resolve_models()
g, judge = m.generator, load_extractor(p["judge"])
enc = load_encoder(p["encoder"], g)
print(f"threads: {torch.get_num_threads()}; n = {args.n} held-out faces, opt {args.opt_steps} steps")
out = {}
if not args.front_only:
    rec = reconstruction(g, judge, enc, m.extractor, ["opt", "encoder", "hybrid"], args.n, args.opt_steps)
    cf = counterfactual_edits(g, judge, m.axes, enc, m.extractor, n=args.n)
    out = {"reconstruction": rec, "counterfactual": cf, "summary": summarise(cf)}
    print(report(out))
    for target, measured, ok in targets(rec, out["summary"]):
        print(f"{target}: {measured} -> {'met' if ok else 'MISSED'}")

if args.front:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    points = []
    for w in (float(v) for v in args.front.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            run = train_encoder(g, str(p["generator"]), f"{tmp}/enc", extractor=m.extractor, steps=args.front_steps,
                                latent_weight=w, progress=False, log=lambda *_: None)
            e_w = load_encoder(run, g)
            r = reconstruction(g, judge, e_w, m.extractor, ["encoder"], args.n, 1)["encoder"]
            c = counterfactual_edits(g, judge, m.axes, e_w, m.extractor, n=args.n, progress=False, method="encoder")
        f = summarise(c)["mean_flip_rate_raw"]
        points.append((w, r["psnr"], f))
        print(f"latent weight {w:g}: encoder PSNR {r['psnr']:.2f} dB, counterfactual flip rate {f:.2f}")
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([q[1] for q in points], [q[2] for q in points], "o-")
    for w, x, y in points:
        ax.annotate(f"λ_lat={w:g}", (x, y), textcoords="offset points", xytext=(5, 5))
    ax.margins(x=0.2, y=0.1)  # room for the labels
    ax.set_xlabel("reconstruction PSNR (dB, held-out faces)")
    ax.set_ylabel("counterfactual flip rate (judge)")
    ax.set_title("distortion–editability front (encoder only)")
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(f"wrote {args.png}")
    out["front"] = {"steps": args.front_steps, "n": args.n, "generator_hash": g.content_hash,
                    "points": [{"latent_weight": w, "encoder_psnr": x, "flip_rate": y} for w, x, y in points]}
if args.json:
    write_json(args.json, {**out, "generator_hash": g.content_hash})
