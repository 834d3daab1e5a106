"""pg-GAN: progressive growing with fade-in, resumable anywhere, minibatch stddev."""
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from tlgan.data import load_data
from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.models.conv import ConvDiscriminator
from tlgan.models.pggan import PGDiscriminator, PGGenerator
from tlgan.training import family, make_config, train

TINY = dict(model="pggan", data="digits", resolution=16, n_data=256, z_dim=16, width=8, max_channels=16,
            batch_size=8, pg_phase_steps=3, sample_every=100, ckpt_every=100, seed=1)


def test_fade_in_starts_from_the_upsampled_lower_resolution_output():
    g = PGGenerator(z_dim=16, resolution=16, channels=3, width=8, max_channels=16)
    z = torch.randn(5, 16)
    for level in (1, 2):
        g.set_growth(level - 1, 1.0)
        low = g(z, full_size=False)
        g.set_growth(level, 0.0)
        x = g(z, full_size=False)
        assert x.shape[-1] == 2 * low.shape[-1] == 4 * 2 ** level
        assert torch.allclose(x, F.interpolate(low, scale_factor=2, mode="nearest"), atol=1e-6)
        g.set_growth(level, 1.0)
        assert not torch.allclose(g(z, full_size=False), x, atol=1e-3)  # α = 1: the new block alone
    d = PGDiscriminator(resolution=16, channels=3, width=8, max_channels=16)
    img = torch.randn(4, 3, 16, 16)
    assert torch.allclose(d(img, 2, 0.0), d(F.avg_pool2d(img, 2), 1, 1.0), atol=1e-5)  # D mirrors the fade


def test_a_run_grows_4_8_16_with_alpha_ramping_0_to_1():
    cfg = make_config({**TINY, "steps": 15})
    tr = family("pggan")(cfg, load_data("digits", 16, 256))
    seen = []
    for _ in range(cfg.steps):
        out = tr.step()
        seen.append((int(out["level"]), round(float(out["alpha"]), 3)))
    assert seen == [(0, 1.0)] * 3 + [(1, 0.0), (1, 0.333), (1, 0.667)] + [(1, 1.0)] * 3 + \
        [(2, 0.0), (2, 0.333), (2, 0.667)] + [(2, 1.0)] * 3
    assert (int(tr.ema.level), float(tr.ema.alpha)) == (2, 1.0)  # the EMA draws what G draws


def test_resume_in_the_middle_of_a_fade_is_bit_identical(tmp_path):
    log = lambda *_: None  # noqa: E731
    full = train(make_config({**TINY, "steps": 8}), tmp_path / "full", progress=False, log=log)
    part = train(make_config({**TINY, "steps": 4}), tmp_path / "part", progress=False, log=log)  # stops at α = 1/3
    train(make_config({**TINY, "steps": 8}), part, resume=True, progress=False, log=log)
    for name in ("g", "d", "ema"):
        a, b = (load_file(str(run / "state" / f"{name}.safetensors")) for run in (full, part))
        assert all(torch.equal(a[k], b[k]) for k in a), name
    g = load_generator(full)
    assert g.resolution == 16 and g.sample(2)[1].shape == (2, 1, 16, 16)


def test_minibatch_stddev_makes_one_samples_score_depend_on_the_others():
    d = PGDiscriminator(resolution=8, channels=1, width=4, max_channels=8).eval()
    x = torch.randn(4, 1, 8, 8)
    y = x.clone()
    y[3] = torch.randn(1, 8, 8)  # change another sample of the group
    assert not torch.allclose(d(x)[0], d(y)[0])
    d.mbstd_group = 1  # groups of one: no cross-sample statistic, the score of sample 0 stays
    assert torch.allclose(d(x)[0], d(y)[0])


@pytest.mark.parametrize("mbstd", [0, 4])
def test_dcgan_discriminator_option_d_mbstd(mbstd):
    """The DCGAN critic's ``d_mbstd`` option (the shipped 64x64 model's) makes the same cross-sample statistic."""
    d = ConvDiscriminator(resolution=32, channels=1, width=4, norm="none", mbstd=mbstd).eval()
    x = torch.randn(8, 1, 32, 32)
    y = x.clone()
    y[4] = torch.randn(1, 32, 32)  # in sample 0's group (groups are strided: 0, 2, 4, 6)
    assert torch.allclose(d(x)[0], d(y)[0]) == (mbstd == 0)
    with pytest.raises(UserError, match="d_mbstd"):
        make_config(dict(model="dcgan", batch_size=10, d_mbstd=4))


def test_pggan_config_errors():
    with pytest.raises(UserError, match="one batch size per level"):
        family("pggan")(make_config({**TINY, "pg_batch_sizes": [8, 8]}),
                        load_data("digits", 16, 64))
    with pytest.raises(UserError, match="power of two"):
        PGGenerator(resolution=28)


@pytest.mark.parametrize("grow_gan", [1.0, 0.0])
def test_growing_a_dcgan_one_level_keeps_the_base_and_learns_the_new_level(tmp_path, grow_gan):
    """``grow_from`` (the shipped 64x64 model's recipe, there with ``grow_gan: 0``): a 16x16 DCGAN grown to 32x32
    first draws its base's images upsampled; training changes only the new level, which learns to upscale real
    images better than bilinear interpolation, and the run opens as an ordinary 32x32 generator."""
    small = dict(model="dcgan", data="digits", n_data=256, z_dim=16, width=8, batch_size=8, sample_every=100,
                 ckpt_every=100, seed=1)
    base_run = train(make_config({**small, "resolution": 16, "steps": 3}), tmp_path / "base", progress=False,
                     log=lambda *a: None)
    base = load_generator(base_run)
    grown_cfg = make_config({**small, "resolution": 32, "steps": 100, "grow_from": str(base_run), "d_mbstd": 4,
                             "ema": 0.9, "grow_gan": grow_gan})
    data = load_data("digits", 32, 256)
    g = family("dcgan")(grown_cfg, data).g.eval()
    z = torch.randn(5, 16)
    with torch.no_grad():
        assert torch.allclose(g(z), F.interpolate(base(z), scale_factor=2, mode="bilinear"), atol=1e-6)
    grown = load_generator(train(grown_cfg, tmp_path / "grown", data=data, progress=False, log=lambda *a: None))
    assert grown.resolution == 32
    base_weights = base.net.state_dict()
    for k, v in grown.net.base.state_dict().items():
        if "running" not in k and "num_batches" not in k:  # BatchNorm statistics are recalibrated with the EMA
            assert torch.equal(v, base_weights[k]), k
    assert grown.net.grow[-1].weight.abs().sum() > 0  # the new level learnt a correction
    real = data.batch(torch.arange(64))
    low = F.interpolate(real, scale_factor=0.5, mode="bilinear", antialias=True)
    with torch.no_grad():
        learnt = F.l1_loss(grown.net.upscale(low), real)
        plain = F.l1_loss(F.interpolate(low, scale_factor=2, mode="bilinear"), real)
    assert learnt < 0.9 * plain, (learnt, plain)
    with pytest.raises(UserError, match="grow_from"):
        family("dcgan")(make_config({**small, "resolution": 64, "grow_from": str(base_run)}),
                        load_data("digits", 64, 64))
