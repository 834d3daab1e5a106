"""The README's "data augmentation, graded honestly" figures: ``tlgan generate --want Eyeglasses=1 --n 100`` on the
shipped model, without and with ``--lock Male,Young``, at the default ``--confidence`` (0.9) and at the extractor's
plain decision (0.5), graded by the extractor that labelled the axis cache and by the independent judge.

    python scripts/generate_rates.py [--json docs/generate_rates.json]
"""
from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = {"raw-0.5": ([], 0.5), "raw": ([], None), "locked-0.5": (["Male", "Young"], 0.5),
        "locked": (["Male", "Young"], None)}  # name: (--lock, --confidence; None: the default)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "generate_rates.json")
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    from tlgan.extractors import load_extractor
    from tlgan.io import write_json
    from tlgan.latent.edit import WANT_CONFIDENCE, generate_wanted, grade_written_set
    from tlgan.pretrained import default_paths, resolve_models
    m = resolve_models()
    judge = load_extractor(default_paths()["judge"])
    want, out = {"Eyeglasses": 1.0}, {}
    for name, (lock, confidence) in RUNS.items():
        confidence = confidence or WANT_CONFIDENCE
        _, x, stats = generate_wanted(m.generator, m.extractor, m.axes, want, args.n, 0, lock=lock,
                                      confidence=confidence)
        stats |= grade_written_set(m.generator, judge, x, want, 1)
        out[name] = {"lock": lock, "confidence": confidence, **stats}
        male = stats["other_attribute_rates"]["Male"]
        print(f"{name}: extractor {stats['rate']:.0%}, judge {stats['judge_rate']:.0%} (unedited "
              f"{stats['judge_base_rate']:.1%}); men {male['written']:.0%} vs {male['unedited']:.0%}")
    write_json(args.json, {"want": want, "n": args.n, "default_confidence": WANT_CONFIDENCE, "runs": out,
                           "generator_hash": m.generator.content_hash,
                           "axes_hash": m.axes.content_hash})


if __name__ == "__main__":
    main()
