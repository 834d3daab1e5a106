"""StyleGAN-style generator: truncation to w_avg and coarse/fine style separation, measured on a short run."""
import pytest
import torch
import torch.nn.functional as F

from tlgan.extractors import brightness_extractor
from tlgan.generator import load_generator
from tlgan.training import make_config, train


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    cfg = make_config(dict(model="stylegan", data="faces", resolution=32, n_data=1000, steps=80, z_dim=32, width=16,
                         batch_size=16, sample_every=80, ckpt_every=80))
    run = train(cfg, tmp_path_factory.mktemp("sg") / "run", progress=False, log=lambda *_: None)
    return load_generator(run).net  # the StyleGenerator, eval mode (constant noise)


@torch.no_grad()
def test_truncation_zero_maps_every_z_to_the_average_image(g):
    assert g.w_avg.abs().sum() > 0  # tracked during training
    w = g.map(torch.randn(8, g.z_dim), psi=0.0)
    x = g.synthesis(w[:, None].expand(-1, g.n_ws, -1))
    ref = g.synthesis(g.w_avg[None, None].expand(1, g.n_ws, -1))
    assert (x - ref).abs().max() < 1e-5
    g.truncation = 0.5  # forward(z) truncates by the generator's psi; halfway shrinks the spread of images
    half = g(torch.randn(32, g.z_dim, generator=torch.Generator().manual_seed(1)))
    g.truncation = 1.0
    full = g(torch.randn(32, g.z_dim, generator=torch.Generator().manual_seed(1)))
    assert half.std(0).mean() < full.std(0).mean()


@torch.no_grad()
def test_fine_layers_change_detail_coarse_layers_keep_structure(g):
    torch.manual_seed(0)
    w1, w2 = g.map(torch.randn(32, g.z_dim))[:, None], g.map(torch.randn(32, g.z_dim))[:, None]
    n, fine = g.n_ws, g.n_ws - 2  # the last two layers style the finest resolution
    ws1, ws2 = w1.expand(-1, n, -1), w2.expand(-1, n, -1)
    x1, x2 = g.synthesis(ws1), g.synthesis(ws2)
    fine_mix = g.synthesis(torch.cat([ws1[:, :fine], ws2[:, fine:]], 1))    # second w in the fine layers only
    coarse_mix = g.synthesis(torch.cat([ws2[:, :fine], ws1[:, fine:]], 1))  # second w in the coarse layers
    low = lambda x: F.avg_pool2d(x, 8)  # noqa: E731  4x4 layout: the coarse structure
    high = lambda x: x - F.interpolate(F.avg_pool2d(x, 2), scale_factor=2)  # noqa: E731  pixel-level detail
    d = lambda f, a, b: (f(a) - f(b)).abs().mean().item()  # noqa: E731
    whole = d(low, x2, x1)
    assert d(low, fine_mix, x1) < 0.5 * whole           # the coarse structure stays the first w's
    assert d(low, coarse_mix, x1) > 2 * d(low, fine_mix, x1)
    assert d(high, fine_mix, x1) > 0.3 * d(high, x2, x1)  # while the detail does change


@pytest.mark.parametrize("space,layers", [("z", None), ("w", None), ("w+", None), ("w+", (0, 2))])
def test_tlgan_axes_in_z_w_and_w_plus(g, tmp_path, space, layers):
    from tlgan.generator import Generator, _style_space
    from tlgan.latent.axes import restrict_layers
    from tlgan.latent.cache import build_cache
    from tlgan.latent.directions import fit_glm
    from tlgan.latent.edit import edit_latents
    gen = Generator(g, g.z_dim, 32, 3, content_hash="sg")
    gen = gen if space == "z" else _style_space(gen, space)
    cache = build_cache(gen, brightness_extractor(), 1500, tmp_path / "c", progress=False)
    axes = fit_glm(cache.z, cache.y, cache.label_names, cache.binary)
    assert axes.quality["brightness"]["r2"] > 0.3 and cache.meta["space"] == space
    if layers:
        axes = restrict_layers(axes, cache.meta["n_ws"], layers)  # coarse layers only: brightness is coarse
    z = gen.latents(64, seed=3)
    with torch.no_grad():
        lo, hi = (gen(edit_latents(z, axes, {"brightness": v})).mean((1, 2, 3)) for v in (-2.0, 2.0))
    assert (hi > lo).float().mean() > 0.9
