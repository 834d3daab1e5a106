"""The training loop's overhead: images/s of `tlgan.train` vs a bare PyTorch loop on the same DCGAN, one run.

Both train the same networks (64x64 faces, width 32, batch 64) with the same optimisers and losses; the
loop adds its bookkeeping (NaN checks, progress bar, TensorBoard scalars, a checkpoint and a sample grid).

    python benchmarks/train_overhead.py [--steps 60]
"""
import argparse
import tempfile
import time

import torch
import torch.nn.functional as F

from tlgan.data import load_data
from tlgan.training import family, make_config, train

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=60)
ap.add_argument("--repeats", type=int, default=2)
ap.add_argument("--json", help="write the figures here")
args = ap.parse_args()
data = load_data("faces", 64, 2000)
cfg = make_config(dict(model="dcgan", width=32, steps=args.steps, sample_every=args.steps, ckpt_every=args.steps,
                     log_every=10))


def bare() -> float:
    trainer = family("dcgan")(cfg, data)  # the same networks, built once; the bare loop below trains them
    g, d = trainer.g, trainer.d
    og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    t = time.perf_counter()
    for _ in range(args.steps):
        real = data.batch(torch.randint(len(data), (64,)))
        fake = g(torch.randn(64, 100))
        lr, lf = d(real), d(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr)) + \
            F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf))
        od.zero_grad()
        loss_d.backward()
        od.step()
        loss_g = F.softplus(-d(fake)).mean()
        og.zero_grad()
        loss_g.backward()
        og.step()
    return args.steps * 64 / (time.perf_counter() - t)


def loop() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        train(cfg, f"{tmp}/run", data=data, progress=True, log=lambda *_: None)
        return args.steps * 64 / (time.perf_counter() - t)


bare()  # warm-up
rb, rl = [], []
for _ in range(args.repeats):  # interleaved, so machine noise hits both
    rb.append(bare())
    rl.append(loop())
b, lo = max(rb), max(rl)
print(f"bare PyTorch loop: {b:7.1f} img/s")
print(f"tlgan.train loop:  {lo:7.1f} img/s")
print(f"ratio (loop / bare): {lo / b:.3f}")
if args.json:
    from tlgan.io import write_json
    write_json(args.json, {"bare_img_per_s": b, "loop_img_per_s": lo, "ratio": lo / b, "steps": args.steps,
                           "threads": torch.get_num_threads()})
