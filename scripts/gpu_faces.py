"""Train the faces generator on one GPU in minutes: R3GAN at 128x128 on the renderer's faces, measured.

    python scripts/gpu_faces.py --out OUT              # on a GPU machine: --minutes of training, probe and scores
    python scripts/gpu_faces.py --out OUT --tiny       # the same steps at 32 px on the CPU (the script's own test)

What it does, in order (every figure also lands in OUT/results.json):
 1. checks the device (name, memory, PyTorch) and renders the training faces on it (no CPU bottleneck);
 2. probes R3GAN's images/s (one process, the whole device) at the resolution and at half of it, and the memory
    one training process holds at its peak;
 3. trains two R3GAN variants side by side (they differ in gamma alone: which suits these faces at 128 px is not
    known in advance), each in its own process and run directory, until a deadline (on a GPU too small for both
    with all their faces: fewer faces each, or the first variant alone); every checkpoint (about every
    2 minutes) exports the EMA generator (fp16 safetensors) with its sample grid as OUT/<variant>.tar, so a run cut
    short still leaves a model. Meanwhile a third process trains the readers at the same resolution: the FD feature
    network, the extractor that labels samples for the axes and the independent judge (OUT/readers.tar);
 4. scores each variant: FD-faces beside its floor (two real splits) and the judge's attribute rates (data vs
    samples, 18 binary attributes), then names the better variant (the lower FD);
 5. trains the inversion encoder for the chosen variant (as the shipped one: latent weight 10, up to 2,000
    updates, at most --encoder-seconds): OUT/encoder.tar (its own file: beside the generator it would pass the
    16 MiB a device run brings back). At 128 px 2,000 updates take 2 CPU cores hours;
 6. with --rebuild, runs scripts/rebuild_on_generator.sh on this device for the chosen variant (axes from 20,000
    labelled samples, SeFa directions, the upload check, the figures: hours at 128 px on 2 CPU cores) into a copy
    of the shipped models, for at most --rebuild-seconds and within --budget-minutes; OUT/rebuild.tar holds what
    finished (faces/: axes, directions, upload_check.json; docs/: the figures).

The run directories stay in --work (default OUT/../gpu_faces_work): resume or inspect them with tlgan.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import torch

from tlgan.data import load_data
from tlgan.device import Runtime
from tlgan.io import write_json
from tlgan.metrics import FD_FACES_IMAGES
from tlgan.training import family, make_config, train

ROOT = Path(__file__).resolve().parents[1]

# gamma: at 32 px on a CPU, 0.05 -> 0.005 beat 0.5 -> 0.05 clearly (docs/r3gan_vs_dcgan.json); R1 sums over 16x
# more pixels at 128 px, so the second variant goes lower still
VARIANTS = {"gamma0.05": dict(gamma=0.05, gamma_end=0.005), "gamma0.01": dict(gamma=0.01, gamma_end=0.001)}
# R3GAN at 128 px for a GPU: 4.9 M parameters per network (9.8 MB in fp16), 3.2 GFLOP per image in G
GPU_MODEL = dict(widths=[256, 256, 256, 128, 64, 32], cardinality=2, z_dim=100, batch_size=256, penalty_every=4,
                 ema_half_life=50.0, ema_ramp=0.1, lr_g=2e-4, lr_d=2e-4)
TINY_MODEL = dict(widths=[16, 16, 8, 8], cardinality=2, z_dim=16, batch_size=16, penalty_every=2,
                  ema_half_life=0.2, ema_ramp=0.1)
READERS = {  # name: (faces, training seed, renderer seed): as scripts/build_default_model.sh at 32 px
    "fd": (FD_FACES_IMAGES, 123, 0),  # the FD feature network `tlgan evaluate fd` trains (and caches) for faces
    "extractor": (20_000, 0, 0),     # labels the generator's samples for the axes
    "judge": (20_000, 1, 1),         # independent: other faces, another seed
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def model_config(args, variant: str, steps: int) -> dict:
    base = {**(TINY_MODEL if args.tiny else GPU_MODEL), **({"batch_size": args.batch} if args.batch else {})}
    every = max(1, steps // max(1, round(args.minutes / 2)))  # a checkpoint (and export) about every 2 minutes
    return dict(model="r3gan", data="faces", resolution=args.resolution, n_data=args.n_data, steps=steps,
                sample_every=every, ckpt_every=every, log_every=max(1, min(100, every)), seed=0,
                **base, **VARIANTS[variant])


def check_device(args) -> Runtime:
    rt = Runtime.of(args.device, fast=not args.full_precision)
    if rt.cuda:
        p = torch.cuda.get_device_properties(rt.device)
        log(f"device: {p.name}, {p.total_memory / 2 ** 30:.0f} GiB, {p.multi_processor_count} SMs; torch "
            f"{torch.__version__}, CUDA {torch.version.cuda}; bf16 autocast + channels_last + TF32")
    else:
        log(f"device: CPU ({torch.get_num_threads()} threads), torch {torch.__version__}")
    return rt


def probe(args, rt: Runtime, resolution: int, seconds: float) -> tuple[float, float]:
    """Images/s of one R3GAN update (D step + G step, lazy R1/R2 included) at ``resolution``, the whole device,
    and the GiB the process held at its peak (0 on a CPU)."""
    values = model_config(args, next(iter(VARIANTS)), 10 ** 6)
    values.update(resolution=resolution, n_data=min(args.n_data, 4096))
    if resolution != args.resolution:  # one stage fewer at half the size
        values["widths"] = values["widths"][:-1]
    cfg = make_config(values)
    data = load_data("faces", resolution, cfg.n_data, device=rt.device)
    trainer = family("r3gan")(cfg, data, runtime=rt)
    for _ in range(cfg.penalty_every + 1):  # warm-up: cuDNN's algorithm search, allocations
        trainer.update()
    sync = torch.cuda.synchronize if rt.cuda else (lambda: None)
    sync()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds or n % cfg.penalty_every:
        trainer.update()
        n += 1
    sync()
    rate = n * cfg.batch_size / (time.perf_counter() - t0)
    peak = torch.cuda.max_memory_reserved(rt.device) / 2 ** 30 if rt.cuda else 0.0  # what one training process needs
    memory = f"; peak GPU memory {peak:.1f} GiB reserved" if rt.cuda else ""
    log(f"probe: R3GAN {resolution}x{resolution}, widths {values['widths']}: {rate:,.0f} img/s ({n} updates){memory}")
    del trainer, data
    if rt.cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(rt.device)
    return rate, peak


def fit_to_memory(total_gib: float, peak_gib: float, n_data: int, resolution: int, variants: list[str],
                  reserve_gib: float = 8.0, least: int = 50_000) -> tuple[list[str], int]:
    """Which variants train side by side and how many faces each holds on a device of ``total_gib``: each process
    needs ``peak_gib`` (the probe's, rendering and training with few faces) plus its faces (uint8, 3 x R x R
    bytes each); ``reserve_gib`` is for the readers' process and the CUDA contexts. Fewer faces (not below
    ``least``) before fewer variants; one variant keeps at least ``least``. Out: (variants, faces per variant)."""
    per_face, least = 3 * resolution ** 2 / 2 ** 30, min(least, n_data)
    for k in range(len(variants), 0, -1):
        n = int(((0.92 * total_gib - reserve_gib) / k - peak_gib) / per_face)
        if n >= least or k == 1:
            return variants[:k], min(n_data, max(n, least))


def pack(out: Path, name: str, folders: dict[str, Path]) -> None:
    """OUT/<name>.tar holding each folder under its key, written atomically; a warning past what a device run
    brings back (16 MiB a file)."""
    tmp = out / f".{name}.tar.tmp"
    with tarfile.open(tmp, "w") as tar:
        for key, folder in folders.items():
            tar.add(folder, arcname=key)
    os.replace(tmp, out / f"{name}.tar")
    if (size := (out / f"{name}.tar").stat().st_size) > 16 * 2 ** 20:
        log(f"warning: {name}.tar is {size / 2 ** 20:.1f} MiB, over the 16 MiB a device run brings back")


def train_one(args) -> None:
    """One variant (a child process): train until the deadline, exporting at every checkpoint."""
    from tlgan.generator import export_generator
    rt = Runtime.of(args.device, fast=not args.full_precision)
    out, work = Path(args.out), Path(args.work)
    values = model_config(args, args.variant, args.steps)
    cfg = make_config(values)
    run = work / args.variant

    def export(run_dir: Path, step: int) -> None:
        exported = export_generator(run_dir, work / f"{args.variant}_export", half=True, best=False)
        pack(out, args.variant, {"generator": exported})  # with its last sample grid, generator/samples.png
        log(f"{args.variant}: step {step}, {step * cfg.batch_size:,} images; exported")

    t0 = time.time()
    train(cfg, run, runtime=rt, deadline=args.deadline, on_checkpoint=export, progress=False, log=log)
    state = torch.load(run / "state" / "trainer.pt", weights_only=True, map_location="cpu")
    seconds = time.time() - t0
    write_json(work / f"{args.variant}.json", {"steps": int(state["step"]), "images": int(state["step"]) *
                                               cfg.batch_size, "seconds": seconds, "config": values})


def train_readers(args) -> None:
    """The FD feature network, the extractor and the judge at the run's resolution (a child process)."""
    from tlgan.extractors import evaluate_extractor, save_extractor, train_extractor
    rt = Runtime.of(args.device)
    work, out = Path(args.work), Path(args.out)
    steps, batch = (20, 32) if args.tiny else (1500, 128)
    test = load_data("faces", args.resolution, 200 if args.tiny else 2000, split="test", device=rt.device)
    for name, (n, seed, data_seed) in READERS.items():
        n = min(n, args.n_data) if args.tiny else n
        t0 = time.time()
        data = load_data("faces", args.resolution, n, seed=data_seed, device=rt.device)
        model = train_extractor(data, steps=steps, batch_size=batch, seed=seed, progress=False, device=rt.device)
        metrics = evaluate_extractor(model, test.to("cpu"))
        save_extractor(model, work / "readers" / name, metrics, {"data": "faces", "n": n, "steps": steps,
                                                                 "seed": seed, "data_seed": data_seed})
        aucs = [m["auc"] for m in metrics.values() if "auc" in m]
        log(f"reader {name}: {n:,} faces, {steps} steps in {time.time() - t0:.0f} s; mean held-out AUC "
            f"{sum(aucs) / len(aucs):.3f}")
    pack(out, "readers", {"readers": work / "readers"})


def score(args, rt: Runtime, variant: str, readers: Path) -> dict:
    """FD-faces (feature network ``fd``) beside its floor and the judge's attribute rates of a variant's export."""
    from tlgan.extractors import load_extractor
    from tlgan.generator import load_generator
    from tlgan.metrics import FrechetScorer, generator_quality
    work = Path(args.work)
    g = load_generator(work / f"{variant}_export")
    fd_net, judge = load_extractor(readers / "fd"), load_extractor(readers / "judge")
    for m in (g, fd_net, judge):
        m.to(rt.device)
    n_fd = 128 if args.tiny else 2000
    train_faces = load_data("faces", args.resolution, READERS["fd"][0] if not args.tiny else args.n_data,
                            device=rt.device).to("cpu")
    scorer = FrechetScorer.for_dataset("faces", train_faces, n=n_fd, feature_net=fd_net)
    q = generator_quality(g, scorer, scorer.floor(train_faces, n_fd), judge, n_fd=n_fd,
                          n_rates=200 if args.tiny else 5000)
    log(f"{variant}: FD-faces@{args.resolution} {q['fd']:.2f} (floor {q['fd_floor']:.2f}); "
        f"{q['outside_25']}/{q['judged']} attributes outside ±25% of the data rate")
    return q


def train_inversion_encoder(args, rt: Runtime, variant: str, readers: Path) -> dict:
    """The inversion encoder of ``variant``'s export (the extractor's features in its loss): OUT/encoder.tar."""
    from tlgan.extractors import load_extractor
    from tlgan.generator import load_generator
    from tlgan.latent.encoder import export_encoder, train_encoder
    work = Path(args.work)
    exported = work / f"{variant}_export"
    t0 = time.time()
    run = train_encoder(load_generator(exported), str(exported), work / "encoder",
                        extractor=load_extractor(readers / "extractor"), steps=20 if args.tiny else 2000,
                        batch_size=16 if args.tiny else 64, latent_weight=10.0, seed=0, progress=False, log=log,
                        runtime=rt, deadline=t0 + args.encoder_seconds)
    pack(Path(args.out), "encoder", {"encoder": export_encoder(run, work / "encoder_export")})
    steps = int(torch.load(run / "state" / "trainer.pt", weights_only=True, map_location="cpu")["step"])
    log(f"encoder for {variant}: {steps} updates in {time.time() - t0:.0f} s; packed into encoder.tar")
    return {"steps": steps, "seconds": time.time() - t0}


# test-run sizes for scripts/rebuild_on_generator.sh and faces_figures.sh (--tiny)
TINY_REBUILD = dict(N_AXES="300", N_UPLOAD="2", N_EVAL="4", N_RATES="50", N_INV="4", OPT_STEPS="3")


def rebuild(args, variant: str, readers: Path, seconds: float) -> dict:
    """scripts/rebuild_on_generator.sh (--keep-encoder) for ``variant`` on this device, for at most ``seconds``,
    into a copy of the shipped models; packs OUT/rebuild.tar with what it made (faces/: axes, directions,
    upload_check.json; docs/: the figures), whatever finished."""
    from tlgan.pretrained import pretrained_root
    work = Path(args.work)
    root, docs, shims = work / "pretrained", work / "docs", work / "bin"
    for d in (root, docs, shims):
        shutil.rmtree(d, ignore_errors=True)
    faces = root / "faces"
    shutil.copytree(pretrained_root() / "faces" / "judge_mlp", faces / "judge_mlp")  # the 32-px MLP judge stays
    shutil.copytree(work / f"{variant}_export", faces / "generator")
    shutil.copytree(work / "encoder_export", faces / "encoder")
    for name in ("extractor", "judge"):
        shutil.copytree(readers / name, faces / name)
    shims.mkdir(parents=True)  # `tlgan` and `python` as this interpreter: the repository need not be installed
    for name, cmd in (("tlgan", f'exec "{sys.executable}" -m tlgan "$@"'), ("python", f'exec "{sys.executable}" "$@"')):
        (shims / name).write_text(f"#!/bin/sh\n{cmd}\n")
        (shims / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}:{os.environ.get('PATH', '')}", "TLGAN_PRETRAINED": str(root),
           "DOCS": str(docs), "CACHE": str(work / "faces-cache"), "KEEP_GOING": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
           **(TINY_REBUILD if args.tiny else {})}
    t0 = time.time()
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "rebuild_on_generator.sh"), "--keep-encoder"], cwd=ROOT,
                            env=env, start_new_session=True)
    try:
        status = "done" if proc.wait(timeout=max(1.0, seconds)) == 0 else f"failed (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        status = f"stopped at its {seconds:.0f} s"
    made = {k: faces / k for k in ("axes", "directions") if (faces / k).exists()}
    if (faces / "encoder" / "upload_check.json").exists():
        made["upload_check.json"] = faces / "encoder" / "upload_check.json"
    pack(Path(args.out), "rebuild", {**{f"faces/{k}": v for k, v in made.items()}, **({"docs": docs} if docs.exists()
                                                                                    else {})})
    log(f"rebuild on {variant}: {status} in {time.time() - t0:.0f} s; {len(list(docs.glob('*')))} figure files")
    return {"status": status, "seconds": time.time() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder for what comes back (tars, grids, results.json)")
    ap.add_argument("--work", help="run directories (default OUT/../gpu_faces_work)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--minutes", type=float, default=8.0, help="training time (both variants at once)")
    ap.add_argument("--probe-seconds", type=float, default=20.0, help="per resolution probed")
    ap.add_argument("--encoder-seconds", type=float, default=60.0, help="at most this long for the encoder")
    ap.add_argument("--rebuild", action="store_true", help="then the axes, directions and figures on this device")
    ap.add_argument("--rebuild-seconds", type=float, default=180.0, help="at most this long for --rebuild")
    ap.add_argument("--budget-minutes", type=float, help="the whole run's limit: --rebuild ends 20 s before it")
    ap.add_argument("--n-data", type=int, default=200_000, help="distinct training faces")
    ap.add_argument("--tiny", action="store_true", help="32 px, small nets and data: the script's own test")
    ap.add_argument("--probe-only", action="store_true", help="print the probe's images/s and stop")
    ap.add_argument("--batch", type=int, help="override the model's batch size (e.g. to probe on a CPU)")
    ap.add_argument("--full-precision", action="store_true", help="CUDA: float32, no bf16 autocast/TF32")
    ap.add_argument("--role", choices=["main", "variant", "readers"], default="main", help=argparse.SUPPRESS)
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tiny:
        args.resolution, args.n_data = 32, min(args.n_data, 256)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    args.work = args.work or str(out.parent / "gpu_faces_work")
    Path(args.work).mkdir(parents=True, exist_ok=True)
    if args.role == "variant":
        return train_one(args)
    if args.role == "readers":
        return train_readers(args)

    t_start = time.time()
    rt = check_device(args)
    results = {"device": torch.cuda.get_device_name(rt.device) if rt.cuda else "cpu",
               "torch": torch.__version__, "resolution": args.resolution, "n_data": args.n_data,
               "threads": torch.get_num_threads(), "batch": model_config(args, next(iter(VARIANTS)), 1)["batch_size"],
               "command": " ".join(sys.argv[1:])}
    half = args.resolution // 2
    try:
        first, peak = probe(args, rt, args.resolution, args.probe_seconds)
    except Exception as e:  # bf16/channels_last trouble on this device: the float32 path rather than nothing
        if args.full_precision or not rt.cuda:
            raise
        log(f"probe failed with bf16 autocast ({type(e).__name__}: {e}); continuing in float32")
        args.full_precision = True
        rt = check_device(args)
        first, peak = probe(args, rt, args.resolution, args.probe_seconds)
    results["full_precision"] = args.full_precision
    results["probe_img_per_s"] = {str(args.resolution): first}
    if half >= 32:  # the faces renderer's smallest size
        results["probe_img_per_s"][str(half)] = probe(args, rt, half, args.probe_seconds)[0]
    write_json(out / "results.json", results)
    if args.probe_only:
        return
    variants = list(VARIANTS)
    if rt.cuda:  # two variants' processes with their faces and the readers' must share the device's memory
        total = torch.cuda.get_device_properties(rt.device).total_memory / 2 ** 30
        variants, n_data = fit_to_memory(total, peak, args.n_data, args.resolution, variants)
        if (n_data, variants) != (args.n_data, list(VARIANTS)):
            log(f"memory: {total:.0f} GiB, {peak:.1f} GiB per training process at its peak: "
                f"{', '.join(variants)} with {n_data:,} faces each (asked: {args.n_data:,})")
        args.n_data = results["n_data"] = n_data
    results["trained"] = variants
    # Both variants share the device: each gets about half the probed rate; the schedules are sized for that
    rate = results["probe_img_per_s"][str(args.resolution)] / len(variants)
    seconds = args.minutes * 60
    batch = model_config(args, next(iter(VARIANTS)), 1)["batch_size"]
    steps = max(8, int(rate * seconds * 0.85 / batch))  # the processes' start and data take some of the time
    deadline = time.time() + seconds
    log(f"training {', '.join(variants)} side by side for {args.minutes:g} min: {steps} updates of {batch} each "
        f"planned (~{rate:,.0f} img/s each); the readers train beside them")
    me = [sys.executable, __file__, "--out", str(out), "--work", args.work, "--device", str(rt.device),
          "--resolution", str(args.resolution), "--n-data", str(args.n_data), "--minutes", str(args.minutes)]
    me += (["--tiny"] if args.tiny else []) + (["--full-precision"] if args.full_precision else [])
    me += ["--batch", str(args.batch)] if args.batch else []
    procs = {v: subprocess.Popen([*me, "--role", "variant", "--variant", v, "--steps", str(steps),
                                  "--deadline", str(deadline)]) for v in variants}
    procs["readers"] = subprocess.Popen([*me, "--role", "readers"])
    failed = [k for k, p in procs.items() if p.wait() != 0]
    if "readers" in failed:
        raise SystemExit("the readers failed: no scores (the variants' exports are in OUT)")
    readers = Path(args.work) / "readers"
    results["variants"] = {}
    for v in variants:
        if v in failed or not (Path(args.work) / f"{v}.json").exists():
            results["variants"][v] = {"failed": True}
            continue
        info = json.loads((Path(args.work) / f"{v}.json").read_text())
        info["img_per_s"] = info["images"] / info["seconds"]
        results["variants"][v] = {**info, **score(args, rt, v, readers)}
    scored = {v: r for v, r in results["variants"].items() if "fd" in r}
    results["chosen"] = min(scored, key=lambda v: scored[v]["fd"]) if scored else None
    write_json(out / "results.json", results)
    if results["chosen"]:
        try:  # a model without its encoder still comes back: the editor then inverts uploads by optimisation
            results["encoder"] = train_inversion_encoder(args, rt, results["chosen"], readers)
        except Exception as e:  # reported; the figures above are kept
            log(f"the encoder failed ({type(e).__name__}: {e}); the generator and readers are in OUT")
            results["encoder"] = {"failed": f"{type(e).__name__}: {e}"}
        if args.rebuild and "steps" in results["encoder"]:
            left = args.rebuild_seconds
            if args.budget_minutes:
                left = min(left, t_start + args.budget_minutes * 60 - 20 - time.time())
            results["rebuild"] = rebuild(args, results["chosen"], readers, left)
    results["seconds"] = time.time() - t_start
    write_json(out / "results.json", results)
    for v, r in scored.items():
        log(f"{v}: {r['images']:,} images in {r['seconds']:.0f} s ({r['img_per_s']:,.0f} img/s beside the other); "
            f"FD-faces@{args.resolution} {r['fd']:.2f} vs floor {r['fd_floor']:.2f}; {r['outside_25']}/"
            f"{r['judged']} outside ±25%")
    if results["chosen"]:
        rows = results["variants"][results["chosen"]]["rates"]
        log(f"chosen: {results['chosen']}. attribute          data   samples  relative")
        for row in rows:
            log(f"  {row['attribute']:22s} {row['data_judge']:.3f}  {row['samples_judge']:.3f}  "
                f"{row['relative']:+.0%}{'' if row['within'] is not False else '  outside'}")
    log(f"done in {results['seconds'] / 60:.1f} min; probe {results['probe_img_per_s']}")


if __name__ == "__main__":
    main()
