"""The family contract, checked for every entry of FAMILIES, and what the house layout makes possible."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli
from PIL import Image
from safetensors.torch import load_file

from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.io import read_json
from tlgan.training import FAMILIES, Built, Trainer, load_config, make_config, train
from tlgan.translate import StarGAN, load_translator, translate

TINY = dict(steps=4, batch_size=4, ckpt_every=2, sample_every=2, log_every=1, seed=3)
DIGITS = dict(data="digits", resolution=16, n_data=64)
SHAPES = dict(data="shapes", resolution=16, n_data=64)
FAMILY_CONFIGS = {  # each family at its smallest, on data it can train on
    "gan": dict(**DIGITS, z_dim=8, mlp_hidden_g=[16, 16], mlp_hidden_d=[16]),
    "dcgan": dict(**DIGITS, z_dim=8, width=4, ema=0.9),
    "wgan": dict(**DIGITS, z_dim=8, width=4),
    "wgan-gp": dict(**DIGITS, z_dim=8, width=4),
    "vae": dict(**DIGITS, z_dim=8, width=4),
    "stylegan": dict(**DIGITS, z_dim=8, width=4, ema=0.9),
    "pggan": dict(**DIGITS, z_dim=8, width=4, max_channels=8, pg_phase_steps=1),
    "r3gan": dict(**DIGITS, z_dim=8, widths=[8, 8, 4], penalty_every=2, augment=["xflip", "translate"],
                  schedule_kimg=0.016),  # the schedules' length fixed: resuming to more steps keeps them
    "cyclegan": dict(data="shapes#Green", data_b="shapes#Green=0", resolution=16, n_data=64, width=4, n_res=1),
    "stargan": dict(**SHAPES, width=4, n_res=1, attributes=["Green", "Light_Background"], n_critic=2),
    "cgan": dict(**DIGITS, z_dim=8, width=4, ema=0.9),        # digits: one-of classes
    "acgan": dict(**DIGITS, z_dim=8, width=4),
    "pix2pix": dict(data="shapes|inverse", data_b="shapes", resolution=16, n_data=64, width=4),
    "unit": dict(data="shapes#Green", data_b="shapes#Green=0", resolution=16, n_data=64, width=4, n_res=1,
                 latent_discriminator=1.0, semantic_consistency=1.0),
    "combogan": dict(data="shapes#Green", domains=["shapes#Green", "shapes#Green=0", "shapes#Green=0|inverse"],
                     resolution=16, n_data=64, width=4, n_res=1),
}


def test_every_family_has_a_contract_config():
    assert set(FAMILY_CONFIGS) == set(FAMILIES)


def _state(run: Path) -> dict[str, torch.Tensor]:
    return {f"{p.stem}/{k}": v for p in sorted((run / "state").glob("*.safetensors"))
            for k, v in load_file(str(p)).items()}


@pytest.mark.parametrize("name", sorted(FAMILY_CONFIGS))
def test_family_contract(name, tmp_path):
    """Builds from its defaults, trains, saves, resumes bit-identically, and its model opens for inference."""
    values = dict(model=name, **FAMILY_CONFIGS[name], **TINY)
    straight = train(make_config(values), tmp_path / "straight", progress=False, log=lambda *_: None)
    half = train(make_config({**values, "steps": 2}), tmp_path / "resumed", progress=False, log=lambda *_: None)
    train(make_config(values), half, resume=True, progress=False, log=lambda *_: None)
    a, b = _state(straight), _state(half)
    assert a.keys() == b.keys() and a
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:3]
    cfg = read_json(straight / "config.json")
    assert set(cfg["networks"]) == {p.stem for p in (straight / "state").glob("*.safetensors")}
    if "translator" in cfg:
        x = torch.rand(2, 3, 16, 16) * 2 - 1
        if name == "stargan":
            y = StarGAN(straight).translate(x, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        else:
            net = (load_translator(straight, target="Green=0|inverse")[0] if name == "combogan" else
                   load_translator(straight, "a2b" if name == "pix2pix" else "b2a")[0])
            y = translate(net, x)
        assert y.shape == x.shape and y.abs().max() <= 1
        with pytest.raises(UserError, match="tlgan translate"):
            load_generator(straight)
    else:
        g = load_generator(straight)
        _, x = g.sample(3, seed=0)
        assert x.shape == (3, 1, 16, 16) and torch.isfinite(x).all()


def test_a_key_the_family_does_not_read_is_an_error():
    with pytest.raises(UserError, match=r"cyclegan does not use config key.*ema"):
        make_config(dict(model="cyclegan", data_b="shapes", ema=0.999))
    with pytest.raises(UserError, match="vae does not use"):
        make_config(dict(model="vae", d_loss="hinge"))
    make_config(dict(model="dcgan", ema=0.999))  # read by dcgan: fine


def test_shipped_configs_are_valid():
    """Every training config in configs/ names only keys its family reads."""
    for path in sorted(Path(__file__).parent.parent.glob("configs/*.yaml")):
        if "anomaly" not in path.name:
            load_config(path)


class MeanImage(Trainer):
    """A trivial family registered by the test: G(z) = one learnt image, pulled to each batch by L2."""

    defaults = dict(optimizer="adam", lr_g=0.05, betas=[0.9, 0.999])

    def build(self) -> Built:
        g = self.network("g", "mlp", z_dim=2, out_shape=list(self.data.shape), hidden=[], batchnorm=False,
                         out_act="none")
        return Built({"g": g}, {"g": (self.optimizer(g.parameters(), self.cfg.lr_g), self.cfg.lr_g)})

    def step(self):
        real = self.data.batch(self.batch_indices())
        loss = (self.g(torch.zeros(len(real), 2)) - real).pow(2).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.step_no += 1
        return {"l2": loss.detach()}


def test_a_new_family_trains_through_the_cli_with_no_other_edit(tmp_path, monkeypatch):
    from tlgan.cli import main
    from tlgan.data import load_data
    monkeypatch.setitem(FAMILIES, "mean-image", MeanImage)
    out = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["tlgan", "train", "mean-image", "--data", "digits", "--resolution", "16",
                                      "--steps", "300", "--batch-size", "64", "--out", str(out)])
    main()
    g = load_generator(out)
    x = g(torch.zeros(1, 2))[0]
    mean = load_data("digits", 16).batch(slice(None)).mean(0)
    assert (x - mean).abs().mean() < 0.05  # it learnt the data's mean image
    assert (out / "samples" / "step_000300.png").exists()


def test_fd_metric_does_not_touch_the_runs_random_stream(tmp_path, monkeypatch):
    """Bug (a): with metric fd the run's weights must not depend on whether FD's network was cached."""
    values = dict(model="dcgan", data="digits", resolution=16, z_dim=8, width=4, batch_size=8, steps=4,
                  ckpt_every=2, sample_every=4, metric="fd", metric_samples=64, fd_extractor_steps=5)
    monkeypatch.setenv("TLGAN_CACHE", str(tmp_path / "fd-cache"))
    cold = train(make_config(values), tmp_path / "cold", progress=False, log=lambda *_: None)
    assert any((tmp_path / "fd-cache").iterdir())
    warm = train(make_config(values), tmp_path / "warm", progress=False, log=lambda *_: None)
    a, b = _state(cold), _state(warm)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert read_json(cold / "best" / "metric.json") == read_json(warm / "best" / "metric.json")
    # the exported directory is in the Hugging Face layout, with a model card naming the data and the FD
    import yaml

    from tlgan.generator import export_generator
    out = export_generator(cold, tmp_path / "export")
    assert {"config.json", "model.safetensors", "README.md", "samples.png"} <= {p.name for p in out.iterdir()}
    card = (out / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["library_name"] == "tlgan" and meta["datasets"] == ["digits"]
    assert meta["pipeline_tag"] == "unconditional-image-generation"
    fd = read_json(cold / "best" / "metric.json")
    assert f"FD-digits {fd['value']:.2f}" in card and f"{fd['floor']:.2f}" in card
    z = torch.randn(3, 8)
    assert torch.allclose(load_generator(out)(z), load_generator(cold)(z), atol=1e-2)  # fp16 weights


def test_fd_says_when_it_trains_its_feature_network(tmp_path, monkeypatch):
    """A first FD on a dataset trains its classifier (minutes on a CPU): with a log it says so, once."""
    from tlgan.data import load_data
    from tlgan.metrics import default_feature_net
    monkeypatch.setenv("TLGAN_CACHE", str(tmp_path / "fd-cache"))
    data, logs = load_data("digits", 16), []
    default_feature_net("digits", data, steps=3, log=logs.append)
    default_feature_net("digits", data, steps=3, log=logs.append)
    assert len(logs) == 1 and "training FD-digits's feature network once" in logs[0] and "cached in" in logs[0]


def test_a_shipped_feature_network_is_read_before_the_cache(tmp_path, monkeypatch):
    """A network shipped under its cache name is used as it is: nothing trained, nothing written to the cache. The
    faces networks at 32 px and 64 px (what `tlgan evaluate fd --data faces` and the gate of
    benchmarks/faces64_candidates.py use) and the Fashion-MNIST one (`--data fashion`, benchmarks/generators_fd.py)
    are shipped."""
    import tlgan.metrics as metrics
    from tlgan.data import load_data
    from tlgan.extractors import load_extractor
    for res in (32, 64):  # 32: the README's five commands' size
        faces = metrics.SHIPPED_FEATURE_NETS / metrics.feature_net_path("faces", res, metrics.FD_FACES_IMAGES).name
        assert load_extractor(faces).resolution == res
    fashion = metrics.SHIPPED_FEATURE_NETS / metrics.feature_net_path("fashion", 28, 60_000).name
    assert load_extractor(fashion).resolution == 28
    data = load_data("digits", 16)
    monkeypatch.setenv("TLGAN_CACHE", str(tmp_path / "train-here"))
    metrics.default_feature_net("digits", data, steps=3)
    shipped = tmp_path / "shipped"
    (tmp_path / "train-here").rename(shipped)
    monkeypatch.setattr(metrics, "SHIPPED_FEATURE_NETS", shipped)
    monkeypatch.setenv("TLGAN_CACHE", str(tmp_path / "empty"))
    logs = []
    net = metrics.default_feature_net("digits", data, steps=3, log=logs.append)
    assert not logs and not (tmp_path / "empty").exists() and net.resolution == 16


def test_every_faces_run_is_scored_by_one_fd_network(tmp_path, monkeypatch):
    """FD-faces's network does not depend on how many faces a run trains on: a 32-px run on 256 faces with
    best-by-FD scores with the shipped network (the renderer's first 10,000 faces, as `tlgan evaluate fd` and the
    benchmarks), training none and caching none."""
    monkeypatch.setenv("TLGAN_CACHE", str(tmp_path / "cache"))
    train(make_config(dict(model="dcgan", data="faces", resolution=32, n_data=256, z_dim=8, width=4, metric="fd",
                           metric_samples=64, **TINY)), tmp_path / "run", progress=False, log=lambda *_: None)
    best = read_json(tmp_path / "run" / "best" / "metric.json")
    assert best["metric"] == "fd" and best["value"] > best["floor"] > 0
    assert not list((tmp_path / "cache").glob("fd-*"))


def test_generate_on_a_one_channel_generator_writes_grey_pngs(tmp_path):
    """Bug (b): `tlgan generate` with a greyscale (digits) generator."""
    from tlgan.data import load_data
    from tlgan.extractors import save_extractor, train_extractor
    from tlgan.latent.cache import build_cache
    from tlgan.latent.directions import fit_glm
    run = train(make_config(dict(model="dcgan", **DIGITS, z_dim=8, width=4, steps=30, batch_size=16,
                                 ckpt_every=30, sample_every=30)), tmp_path / "g", progress=False,
                log=lambda *_: None)
    ext = train_extractor(load_data("digits", 16), steps=30, batch_size=32, progress=False)
    save_extractor(ext, tmp_path / "ext")
    g = load_generator(run)
    cache = build_cache(g, ext, 400, tmp_path / "cache", progress=False)
    axes = fit_glm(cache.z, cache.y, cache.label_names, cache.binary)
    axes.generator_hash = g.content_hash
    axes.save(tmp_path / "axes")
    want = cache.label_names[int(np.argmin((np.asarray(cache.y) > 0).mean(0)))]  # rarely seen: "=0" is reachable
    code, out, err = run_cli("generate", "--generator", str(run), "--axes", str(tmp_path / "axes"), "--features",
                             str(tmp_path / "ext"), "--want", f"{want}=0", "--confidence", "0.5", "--n", "4", "--out",
                             str(tmp_path / "gen"))  # a 30-step extractor is seldom confident
    assert code == 0, err
    pngs = sorted((tmp_path / "gen").glob("0*.png"))
    assert pngs, out
    with Image.open(pngs[0]) as im:
        assert im.mode == "L" and im.size == (16, 16)
