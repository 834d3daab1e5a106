"""Unpack what a GPU run of scripts/gpu_faces.py brought back (its OUT folder), ready for the rebuild on the CPU.

    python scripts/install_gpu_model.py OUT [--dest runs/faces-gpu] [--json docs/gpu_faces_run.json]

OUT holds results.json, one <variant>.tar per variant, encoder.tar (for the chosen one), readers.tar and, from a
run with --rebuild, rebuild.tar. DEST gets the chosen variant's generator/ and encoder/, the readers extractor/,
judge/ and fd/, and what the GPU rebuilt: axes/, directions/, encoder/upload_check.json, docs/. fd/ also goes into
the FD cache under the key `tlgan evaluate fd --data faces --resolution R` looks for, so FD-faces measured later on
the CPU uses the network the GPU run scored with. The run's results.json is copied to --json, where the docs'
generated table `gpu_run` reads it. `bash scripts/build_gpu_model.sh OUT` calls this first, then gates the model
against the shipped one and installs it (docs/gpu.md).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the folder the GPU run wrote (results.json, the tars)")
    ap.add_argument("--dest", type=Path, default=Path("runs/faces-gpu"))
    ap.add_argument("--json", type=Path, default=Path("docs/gpu_faces_run.json"))
    args = ap.parse_args()
    results_path = args.out / "results.json"
    if not results_path.exists():
        sys.exit(f"error: {results_path} not found: is {args.out} the folder scripts/gpu_faces.py wrote?")
    results = json.loads(results_path.read_text())
    chosen = results.get("chosen")
    if not chosen or not (args.out / f"{chosen}.tar").exists() or not (args.out / "readers.tar").exists():
        sys.exit(f"error: the run in {args.out} names no chosen variant with its tar and readers.tar (it stopped "
                 "before scoring?): nothing to install")
    from tlgan.extractors import load_extractor
    from tlgan.generator import load_generator
    from tlgan.io import write_json
    from tlgan.latent.axes import Axes
    from tlgan.latent.encoder import load_encoder
    from tlgan.metrics import FD_FACES_IMAGES, feature_net_path
    tmp = args.dest.with_name(args.dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for name in (f"{chosen}.tar", "encoder.tar", "readers.tar", "rebuild.tar"):
        if (args.out / name).exists():
            with tarfile.open(args.out / name) as tar:
                tar.extractall(tmp, filter="data")
    for folder in ("readers", "faces"):  # their contents go to DEST's top level
        for part in (tmp / folder).iterdir() if (tmp / folder).exists() else ():
            part.rename(tmp / ("encoder" if part.name == "upload_check.json" else "") / part.name)
        shutil.rmtree(tmp / folder, ignore_errors=True)
    g = load_generator(tmp / "generator")  # everything opens before anything is replaced
    for name in ("extractor", "judge", "fd"):
        load_extractor(tmp / name)
    has_encoder = (tmp / "encoder" / "config.json").exists()
    if has_encoder:
        load_encoder(tmp / "encoder", g)
    if (tmp / "axes").exists():
        Axes.load(tmp / "axes").check_latent(g.z_dim, g.content_hash)
    shutil.rmtree(args.dest, ignore_errors=True)
    tmp.rename(args.dest)
    fd_res = json.loads((args.dest / "fd" / "extractor.json").read_text())["resolution"]
    key = feature_net_path("faces", fd_res, FD_FACES_IMAGES)  # the network `tlgan evaluate fd --data faces` looks for
    shutil.rmtree(key, ignore_errors=True)
    shutil.copytree(args.dest / "fd", key)
    write_json(args.json, results)
    r = results["variants"][chosen]
    print(f"installed {chosen} ({g.resolution} px, {r['images']:,} images seen; FD-faces@{g.resolution} {r['fd']:.2f} "
          f"vs floor {r['fd_floor']:.2f}) into {args.dest}: generator, {'encoder, ' if has_encoder else ''}"
          f"extractor, judge, fd (also in {key}); figures in {args.json}")
    rebuilt = [p.name for p in sorted(args.dest.iterdir()) if p.name in ("axes", "directions", "docs")]
    print(f"rebuilt on the GPU: {', '.join(rebuilt) or 'nothing (no rebuild.tar)'}")
    if not has_encoder:
        print("no encoder came back: train one with `tlgan invert train-encoder --generator "
              f"{args.dest}/generator` (slow on a CPU at this size)")


if __name__ == "__main__":
    main()
