"""How well real images are inverted and edited, measured against exact counterfactuals (``tlgan evaluate
inversion``).

On held-out renderer faces (the test split: indices G never saw):

- reconstruction, per method: PSNR, SSIM, the judge's agreement on every binary attribute between the input and
  its reconstruction, and seconds per image;
- latent recovery, per method, on G's own samples: median cos(ẑ, z) and PSNR;
- counterfactual edits (hybrid when an encoder is given, else opt): for each attribute the renderer can flip in
  place, invert real faces, move them by λ = ±2 along the attribute's axis toward the other class — raw, and
  with ``reference`` locked (disentangled) — and compare with the renderer's true counterfactual (the same face,
  that attribute flipped): the judge's flip rate, L1 pixel distance to the true counterfactual and to the input,
  the mean change of the judge's other binary attributes (leakage), and the flip rate of the same edit on
  sampled faces (the ratio says how much editability inversion keeps).
"""
from __future__ import annotations

import numpy as np
import torch

from ..data import FACES_TEST_OFFSET
from ..data.faces import FLIPPABLE, counterfactual_faces
from ..data.images import resize, to_model_range
from ..extractors import predict_labels
from ..metrics import psnr, ssim
from ..progress import progress_bar
from .edit import edit_directions
from .invert import OptSettings, invert

LAMBDA = 2.0


def _judge(judge, x: torch.Tensor) -> np.ndarray:
    return predict_labels(judge, x, probabilities=True).numpy()


def _faces(n: int, resolution: int, name: str = "No_Beard", seed: int = 0, start: int = FACES_TEST_OFFSET):
    """Held-out faces and their counterfactuals (``name`` flipped) in [-1, 1] at ``resolution``, and the value
    of ``name`` before the flip (n,)."""
    x, cf, before = counterfactual_faces(name, n, seed, max(resolution, 32), start)
    return resize(to_model_range(x), resolution), resize(to_model_range(cf), resolution), before


@torch.no_grad()
def _edit_toward_other(generator, axes, z: torch.Tensor, name: str, lock, is_on: np.ndarray) -> torch.Tensor:
    """G(z ± λ·u) in [-1, 1]: each latent moved along ``name``'s axis (``lock`` projected out) toward the class it
    is not in (``is_on``: (N,) bool/0-1)."""
    unit = torch.from_numpy(edit_directions(axes, [name], lock))
    toward = torch.from_numpy(np.where(is_on, -LAMBDA, LAMBDA)).float()[:, None]
    return generator.to_signed(generator(z + toward * unit))


def reconstruction(generator, judge, encoder, extractor, methods, n: int = 64, opt_steps: int = 1000,
                   seed: int = 0) -> dict:
    """Per method: PSNR, SSIM, judge agreement and seconds per image on ``n`` held-out faces, and latent recovery
    (median cosine, PSNR) on ``n`` of G's own samples."""
    x, _, _ = _faces(n, generator.resolution, seed=seed)
    binary = np.asarray(judge.binary)
    y_in = _judge(judge, x)[:, binary] > 0.5
    z_true, xs = generator.sample(n, seed=seed + 1)
    xs = generator.to_signed(xs)
    out = {}
    for method in progress_bar(methods, desc="reconstruction", leave=False):
        res = invert(generator, x, method, encoder=encoder, extractor=extractor,
                     settings=OptSettings(steps=opt_steps), seed=seed)
        own = invert(generator, xs, method, encoder=encoder, extractor=extractor,
                     settings=OptSettings(steps=opt_steps), seed=seed)
        agree = (_judge(judge, res.recon)[:, binary] > 0.5) == y_in
        out[method] = {"psnr": float(psnr(x, res.recon).mean()), "ssim": float(ssim(x, res.recon).mean()),
                       "judge_agreement": float(agree.mean()), "seconds_per_image": res.seconds / n,
                       "latent_cos_median": float(torch.cosine_similarity(own.z, z_true).median()),
                       "own_samples_psnr": float(psnr(xs, own.recon).mean())}
    return out


def counterfactual_edits(generator, judge, axes, encoder, extractor, names=None, n: int = 64,
                         reference: str = "Male", opt_steps: int = 300, seed: int = 0, progress: bool = True,
                         method: str | None = None) -> dict:
    """Per attribute and variant (``raw``, ``locked``: with ``reference`` locked): flip rate, distance to the true
    counterfactual and to the input, leakage, and the flip rate of the same edit on sampled faces. Inverted with
    ``method`` (default: hybrid with an encoder, else opt)."""
    method = method or ("hybrid" if encoder is not None else "opt")
    names = [k for k in (names or FLIPPABLE) if k in axes.names and k in judge.label_names]
    binary = np.asarray(judge.binary)
    z_s = generator.latents(n, seed + 2)
    base_s = _judge(judge, generator.to_signed(generator(z_s)))
    out = {}
    for name in progress_bar(names, desc="counterfactual edits", disable=not progress, leave=False):
        x, cf, before = _faces(n, generator.resolution, name, seed)
        res = invert(generator, x, method, encoder=encoder, extractor=extractor, settings=OptSettings(steps=opt_steps),
                     seed=seed)
        k = judge.label_names.index(name)
        others = binary.copy()
        others[k] = False
        base = _judge(judge, res.recon)
        entry = {}
        for variant, lock in (("raw", []), ("locked", [reference] if reference != name else [])):
            edited = _edit_toward_other(generator, axes, res.z, name, lock, before == 1)
            edited_s = _edit_toward_other(generator, axes, z_s, name, lock, base_s[:, k] > 0.5)
            y = _judge(judge, edited)
            y_s = _judge(judge, edited_s)
            entry[variant] = {
                "flip_rate": float(((y[:, k] > 0.5) == (before == 0)).mean()),
                "sampled_flip_rate": float(((y_s[:, k] > 0.5) != (base_s[:, k] > 0.5)).mean()),
                "l1_to_counterfactual": float((edited - cf).abs().mean()),
                "l1_to_input": float((edited - x).abs().mean()),
                "leakage": float(np.abs(y[:, others] - base[:, others]).mean()),
            }
        entry["reconstruction_l1_to_counterfactual"] = float((res.recon - cf).abs().mean())
        out[name] = entry
    return {"method": method, "lambda": LAMBDA, "n": n, "reference": reference, "attributes": out}


def evaluate_inversion(generator, judge, axes, encoder=None, extractor=None, n: int = 64, opt_steps: int = 1000,
                       seed: int = 0, progress: bool = True) -> dict:
    """Everything in the module doc, as one JSON-ready dict."""
    methods = ["opt", "encoder", "hybrid"] if encoder is not None else ["opt"]
    rec = reconstruction(generator, judge, encoder, extractor, methods, n, opt_steps, seed)
    cf = counterfactual_edits(generator, judge, axes, encoder, extractor, n=n, seed=seed, progress=progress)
    return {"generator": generator.content_hash, "judge": judge.content_hash, "n": n, "opt_steps": opt_steps,
            "reconstruction": rec, "counterfactual": cf, "summary": summarise(cf)}


def summarise(cf: dict) -> dict:
    """Mean flip rates over the attributes of :func:`counterfactual_edits`'s result, and inverted / sampled."""
    attrs = cf["attributes"].values()
    raw, locked, sampled = (float(np.mean([a[v][key] for a in attrs])) for v, key in
                            (("raw", "flip_rate"), ("locked", "flip_rate"), ("raw", "sampled_flip_rate")))
    return {"mean_flip_rate_raw": raw, "mean_flip_rate_locked": locked, "mean_sampled_flip_rate": sampled,
            "inverted_vs_sampled_flip_ratio": raw / max(sampled, 1e-9)}


def targets(reconstruction: dict, summary: dict) -> list[tuple[str, str, bool]]:
    """The inversion targets against :func:`evaluate_inversion`'s ``reconstruction`` (opt, encoder and hybrid) and
    ``summary``: (target, measured, met) per target."""
    o, e, h = (reconstruction[m] for m in ("opt", "encoder", "hybrid"))
    share, gap = h["seconds_per_image"] / o["seconds_per_image"], h["psnr"] - o["psnr"]
    ratio = summary["inverted_vs_sampled_flip_ratio"]
    return [("hybrid within 1 dB of opt at ≤ 5% of its time", f"{gap:+.2f} dB at {share:.1%}",
             gap >= -1 and share <= 0.05),
            ("encoder < 10 ms/image", f"{1000 * e['seconds_per_image']:.1f} ms", e["seconds_per_image"] < 0.01),
            ("hybrid < 1 s/image", f"{h['seconds_per_image']:.2f} s", h["seconds_per_image"] < 1),
            ("flip rate of inverted real faces ≥ 0.8 × that of sampled faces", f"{ratio:.2f} ×", ratio >= 0.8)]


def report(result: dict) -> str:
    """Markdown tables of :func:`evaluate_inversion`'s result."""
    lines = ["| method | PSNR (dB) | SSIM | judge agreement | s / image | latent cos (G's samples) |",
             "|---|---|---|---|---|---|"]
    for m, r in result["reconstruction"].items():
        lines.append(f"| {m} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['judge_agreement']:.3f} | "
                     f"{r['seconds_per_image']:.4f} | {r['latent_cos_median']:.2f} |")
    cf = result["counterfactual"]
    lines += ["", f"Counterfactual edits ({cf['method']} inversion, λ = ±{cf['lambda']:g}, n = {cf['n']} per "
                  f"attribute; locked = {cf['reference']} locked):", "",
              "| attribute | flip rate raw | flip rate locked | sampled faces | L1 to counterfactual | L1 to input "
              "| reconstruction's L1 to counterfactual | leakage |", "|---|---|---|---|---|---|---|---|"]
    for name, a in cf["attributes"].items():
        r, lk = a["raw"], a["locked"]
        lines.append(f"| {name} | {r['flip_rate']:.2f} | {lk['flip_rate']:.2f} | {r['sampled_flip_rate']:.2f} | "
                     f"{r['l1_to_counterfactual']:.3f} | {r['l1_to_input']:.3f} | "
                     f"{a['reconstruction_l1_to_counterfactual']:.3f} | {r['leakage']:.3f} |")
    closer = sum(a["raw"]["l1_to_counterfactual"] < a["reconstruction_l1_to_counterfactual"]
                 for a in cf["attributes"].values())
    s = result["summary"]
    lines += ["", f"Mean flip rate: inverted real faces {s['mean_flip_rate_raw']:.2f} (locked "
                  f"{s['mean_flip_rate_locked']:.2f}), sampled faces {s['mean_sampled_flip_rate']:.2f}: ratio "
                  f"{s['inverted_vs_sampled_flip_ratio']:.2f}. The edited inversion lands closer to the true "
                  f"counterfactual than the bare reconstruction on {closer} of {len(cf['attributes'])} attributes "
                  "(mean L1 over the faces)."]
    return "\n".join(lines)


def counterfactual_grid(generator, axes, encoder, extractor, path, names=("No_Beard", "Eyeglasses", "Smiling",
                        "Wearing_Hat", "Bangs"), per_name: int = 2, reference: str = "Male", seed: int = 0) -> None:
    """A captioned PNG, one row per attribute with ``per_name`` held-out faces (other faces on every row), each as
    input | inversion | edited toward the other class (λ = ±2, ``reference`` locked) | true counterfactual."""
    from ..data.images import save_grid
    method = "hybrid" if encoder is not None else "opt"
    rows = []
    for i, name in enumerate(names):
        x, cf, before = _faces(per_name, generator.resolution, name, seed, FACES_TEST_OFFSET + 1000 * (i + 1))
        res = invert(generator, x, method, encoder=encoder, extractor=extractor, settings=OptSettings(steps=300),
                     seed=seed)
        edited = _edit_toward_other(generator, axes, res.z, name, [reference] if reference != name else [],
                                    before == 1)
        rows.append(torch.stack([x, res.recon, edited, cf], 1).flatten(0, 1))
    save_grid(torch.cat(rows), path, nrow=4 * per_name, col_labels=["input", "inverted", "edited", "true"] * per_name,
              title=f"{', '.join(names)} (edit +-{LAMBDA:g}, {reference} locked)")
