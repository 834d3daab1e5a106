#!/usr/bin/env bash
# Issue 32's device run as one command on a lent GPU machine (docs/gpu.md), from the repository root, with $OUT the
# folder that comes back (at most 8 files of <= 16 MiB; this run writes 7, the GPU tests' log at the end of
# log.txt). The GPU tests run beside the training script, which ends inside the device's 10-minute limit: ~1 min
# start and probes, 3.5 min of training, ~1 min of scoring, the encoder (<= 30 s), then the rebuild (axes, upload
# check, figures, directions: GPU work that would take 2 CPU cores hours) in what is left of 9.4 minutes.
# Two variants train side by side, each at batch 256 with R1/R2's double backward and its 200,000 faces (9.8 GB)
# on the device; on a smaller GPU (an H100's 78 GiB) the script gives them fewer faces, or trains one, from the
# probe's peak memory. The H200 (139 GiB) takes the full plan:
#   device tool: run(command="bash scripts/gpu_run.sh", kind="nvidia-h200", timeout_s=600)
# Back here: bash scripts/build_gpu_model.sh OUT_FOLDER
set -uo pipefail
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
OUT=${OUT:?set OUT to the folder that comes back}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/log.txt" 2>&1
(TLGAN_TEST_DEVICE=cuda timeout 420 python3 -m pytest -p no:xdist -p no:cacheprovider -o addopts="" -q \
  tests/test_device.py -k "family or follow or resolve or deadline" > /tmp/device_tests.log 2>&1 &)
timeout 575 python3 scripts/gpu_faces.py --out "$OUT" --work /tmp/gpu_faces_work --minutes 3.5 --probe-seconds 10 \
  --encoder-seconds 30 --rebuild --budget-minutes 9.4 2>&1 | tee -a "$OUT/log.txt"
{ echo "== GPU tests (tests/test_device.py on cuda) =="; cat /tmp/device_tests.log; } | tee -a "$OUT/log.txt"
