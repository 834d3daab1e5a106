"""Conditional GAN and AC-GAN on two-factor toy shapes (shape colour, background) within a CPU budget."""
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from tlgan.data import load_data
from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.training import make_config, train

ATTRS = ["Green", "Light_Background"]
COLS = [0, 2]  # their columns in the shapes labels


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """model -> its run directory, trained once per test module (300 updates, width 16, 16 × 16 px)."""
    done = {}

    def get(model):
        if model not in done:
            cfg = make_config(dict(model=model, data="shapes", attributes=ATTRS, n_data=1000, steps=300, width=16,
                                   batch_size=32, lr_g=1e-3, lr_d=1e-3, sample_every=300, ckpt_every=300))
            done[model] = train(cfg, tmp_path_factory.mktemp(model) / "run", progress=False, log=lambda *_: None)
        return done[model]
    return get


@pytest.fixture(scope="module")
def judges():
    """Pixel classifiers of real shapes, one per factor, independent of the GANs."""
    real = load_data("shapes", n=2000)
    x = real.batch(slice(None)).flatten(1).numpy()
    return [LogisticRegression(max_iter=3000).fit(x, real.labels[:, c]) for c in COLS]


@pytest.mark.parametrize("model", ["cgan", "acgan"])
def test_conditional_generators_draw_the_requested_labels(runs, judges, model):
    run = runs(model)
    g = load_generator(run)
    assert g.resolution == 16 and g.net.n_labels == 2
    z = torch.randn(400, g.z_dim, generator=torch.Generator().manual_seed(1))
    y = torch.from_numpy(np.random.default_rng(1).integers(0, 2, (400, 2))).float()
    with torch.no_grad():
        x = g.net(z, y).flatten(1).numpy()
    for j, name in enumerate(ATTRS):
        hit = (judges[j].predict(x) == y[:, j].numpy()).mean()
        assert hit >= 0.9, (model, name, hit)


def test_acgan_auxiliary_head_reads_real_labels(runs):
    from tlgan.generator import load_network
    d = load_network(runs("acgan"), "d").eval()
    test = load_data("shapes", split="test", n=400)
    with torch.no_grad():
        _, logits = d(test.batch(slice(None)))
    acc = ((logits > 0).numpy() == (test.labels[:, COLS] > 0.5)).mean(0)
    assert (acc > 0.75).all(), acc  # chance is ~0.5 for each balanced factor


@pytest.mark.parametrize("bad, message", [(dict(attributes=["Smiling"]), "unknown attribute"),
                                          (dict(d_cond="sideways"), "d_cond must be")])
def test_bad_conditioning_is_a_one_line_error(tmp_path, bad, message):
    cfg = make_config(dict(model="cgan", data="shapes", n_data=64, steps=1, **bad))
    with pytest.raises(UserError, match=message):
        train(cfg, tmp_path / "run", progress=False, log=lambda *_: None)


def test_sample_set_draws_labels_and_refuses_bad_ones(runs, judges, tmp_path):
    from conftest import run_cli
    from PIL import Image
    run = str(runs("cgan"))
    rc, _, err = run_cli("sample", run, "--set", "Green=1,Light_Background=0", "--n", "16", "--out-dir",
                         str(tmp_path / "s"))
    assert rc == 0, err
    x = np.stack([np.asarray(Image.open(p), dtype=np.float32) / 127.5 - 1 for p in sorted((tmp_path / "s").iterdir())])
    flat = torch.from_numpy(x).permute(0, 3, 1, 2).flatten(1).numpy()
    assert (judges[0].predict(flat) == 1).mean() >= 0.9 and (judges[1].predict(flat) == 0).mean() >= 0.9
    for bad, message in [("Smiling=1", "was not conditioned on 'Smiling'"), ("Green=2", "within [0, 1]")]:
        rc, _, err = run_cli("sample", run, "--set", bad, "--out", str(tmp_path / "x.png"))
        assert rc == 2 and message in err and len(err.strip().splitlines()) == 1


def test_tlgan_axes_in_a_conditional_runs_z_at_fixed_labels(runs, judges):
    """RUN@Green=1,Light_Background=0 is an ordinary z -> image generator: the (z, y) cache and a GLM axis for
    Circle, a factor the run was not conditioned on, steer Circle while the fixed labels hold."""
    from torch import nn

    from tlgan.extractors import wrap_extractor
    from tlgan.latent.cache import build_cache
    from tlgan.latent.directions import fit_glm
    real = load_data("shapes", n=2000)
    circle = LogisticRegression(max_iter=3000).fit(real.batch(slice(None)).flatten(1).numpy(), real.labels[:, 1])
    lin = nn.Linear(circle.coef_.shape[1], 1)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(circle.coef_).float())
        lin.bias.copy_(torch.from_numpy(circle.intercept_).float())
    extractor = wrap_extractor(nn.Sequential(nn.Flatten(), lin), ["Circle"], [True], 16)
    g = load_generator(f"{runs('cgan')}@Green=1,Light_Background=0")
    assert g.content_hash.endswith("@Green=1,Light_Background=0") and g.net.labels.tolist() == [1.0, 0.0]
    cache = build_cache(g, extractor, 2000, Path(tempfile.mkdtemp()) / "cache", batch=500, progress=False)
    u = torch.from_numpy(fit_glm(cache.z, cache.y, ["Circle"], [True]).vector("Circle")).float()
    z = g.latents(400, seed=5)
    with torch.no_grad():
        lo, hi = (g(z + s * 2.5 * u).flatten(1).numpy() for s in (-1, 1))
    assert circle.predict(hi).mean() - circle.predict(lo).mean() > 0.5
    for x in (lo, hi):  # the labels the run was asked for still hold
        assert (judges[0].predict(x) == 1).mean() >= 0.9 and (judges[1].predict(x) == 0).mean() >= 0.9
