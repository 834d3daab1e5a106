"""TL-GAN core: axes recover planted directions, disentangling is exact, edits and caches behave."""
import numpy as np
import pytest
import torch

from tlgan.errors import UserError
from tlgan.extractors import wrap_extractor
from tlgan.generator import Generator
from tlgan.latent.axes import Axes, export_boundary, import_boundary
from tlgan.latent.cache import build_cache, open_cache
from tlgan.latent.directions import fit_glm, fit_svm
from tlgan.latent.disentangle import disentangle, project_out
from tlgan.latent.edit import edit_latents, parse_assignments, parse_sweep


def _planted(n=6000, d=32, seed=0):
    g = np.random.default_rng(seed)
    z = g.standard_normal((n, d)).astype(np.float32)
    u = g.standard_normal(d)
    u /= np.linalg.norm(u)
    v = g.standard_normal(d)
    v = v - (v @ u) * u * 0.5  # correlated with u, not parallel
    v /= np.linalg.norm(v)
    logit = 3.0 * z @ u + 0.3 * g.standard_normal(n)   # binary label, extractor logit
    value = 2.0 * z @ v + 1.0 + 0.1 * g.standard_normal(n)  # continuous label
    return z, np.stack([logit, value], 1).astype(np.float32), u, v


def test_glm_recovers_planted_directions():
    z, y, u, v = _planted()
    axes = fit_glm(z, y, ["A", "B"], [True, False])
    assert axes.vector("A") @ u >= 0.99
    assert axes.vector("B") @ v >= 0.99
    assert axes.quality["A"]["auc"] > 0.95 and axes.quality["B"]["r2"] > 0.9
    assert np.allclose(np.linalg.norm(axes.vectors, axis=1), 1, atol=1e-5)


def test_svm_recovers_planted_direction():
    z, y, u, _ = _planted()
    axes = fit_svm(z, y, ["A", "B"], [True, False])
    assert axes.vector("A") @ u >= 0.9
    assert axes.quality["A"]["val_accuracy"] > 0.9


def test_disentangle_is_exact_and_keeps_references():
    z, y, _u, _v = _planted()
    g = np.random.default_rng(1)
    extra = (z @ g.standard_normal((32, 3))) + 0.5 * y[:, :1]
    axes = fit_glm(z, np.concatenate([y, extra], 1), ["A", "B", "C", "D", "E"], [True, False, False, False, False])
    out = disentangle(axes, references=["A", "C"])
    for name in ("B", "D", "E"):
        for ref in ("A", "C"):
            assert abs(float(out.vector(name) @ out.vector(ref))) < 1e-6
        assert abs(np.linalg.norm(out.vector(name)) - 1) < 1e-6
    assert np.array_equal(out.vector("A"), axes.vector("A")) and np.array_equal(out.vector("C"), axes.vector("C"))
    with pytest.raises(UserError):
        project_out(axes.vector("A"), axes.vectors[[0]])


def test_edit_with_lock_does_not_move_locked_axis():
    z, y, _u, _v = _planted()
    axes = fit_glm(z, y, ["A", "B"], [True, False])
    z0 = torch.randn(5, 32)
    z1 = edit_latents(z0, axes, {"B": 2.0}, lock=["A"])
    moved = (z1 - z0).numpy() @ axes.vector("A")
    assert np.abs(moved).max() < 1e-5
    assert np.allclose((z1 - z0).numpy() @ axes.vector("B"), 2.0 * (1 - (axes.vector("A") @ axes.vector("B")) ** 2)
                       ** 0.5, atol=1e-4)
    z2 = edit_latents(z0, axes, {"A": 3.0}, keep_norm=True)
    assert torch.allclose(z2.norm(dim=1), torch.full((5,), 32 ** 0.5), atol=1e-4)


@pytest.mark.parametrize("bad", [{"A": float("nan")}, {"A": float("inf")}, {"Nope": 1.0}, {"A": 1e6}])
def test_edit_rejects_bad_edits(bad):
    z, y, _, _ = _planted(n=500)
    axes = fit_glm(z, y, ["A", "B"], [True, False])
    with pytest.raises(UserError):
        edit_latents(torch.zeros(1, 32), axes, bad)


def test_edit_rejects_wrong_latent_size_and_parsing_errors():
    z, y, _, _ = _planted(n=500)
    axes = fit_glm(z, y, ["A", "B"], [True, False])
    with pytest.raises(UserError, match="latents must have shape"):
        edit_latents(torch.zeros(1, 31), axes, {"A": 1})
    with pytest.raises(UserError):
        axes.check_latent(64)
    assert parse_assignments(["A=+1.5", "B=-2"]) == {"A": 1.5, "B": -2.0}
    for bad in (["A=nan"], ["A"], ["A=x"], ["A=inf"]):
        with pytest.raises(UserError):
            parse_assignments(bad)
    assert parse_sweep("A=-3:3:7")[1].tolist() == [-3, -2, -1, 0, 1, 2, 3]


def test_axes_save_load_and_interfacegan_roundtrip(tmp_path):
    z, y, _u, _ = _planted(n=1000)
    axes = fit_glm(z, y, ["A", "B"], [True, False])
    axes.save(tmp_path / "axes")
    back = Axes.load(tmp_path / "axes")
    assert np.array_equal(back.vectors, axes.vectors) and back.names == axes.names
    f = export_boundary(axes, "A", tmp_path / "a.npy")
    assert np.load(f).shape == (1, 32)
    assert np.allclose(import_boundary(f, 32), axes.vector("A"), atol=1e-6)
    np.save(tmp_path / "bad.npy", np.zeros((2, 32), np.float32))
    with pytest.raises(UserError):
        import_boundary(tmp_path / "bad.npy", 32)


class _Stripes(torch.nn.Module):
    """A toy generator: the image's brightness is a known linear function of z."""

    def __init__(self, u):
        super().__init__()
        self.register_buffer("u", torch.as_tensor(u, dtype=torch.float32))

    def forward(self, z):
        s = torch.tanh(0.3 * (z @ self.u))
        return s.view(-1, 1, 1, 1).expand(len(z), 1, 8, 8).contiguous()


class _Mean(torch.nn.Module):
    def forward(self, x):
        return torch.stack([x.mean((1, 2, 3)) * 5, x.mean((1, 2, 3)) ** 2], 1)


def test_cache_resumes_after_a_kill_and_checks_hashes(tmp_path, monkeypatch):
    u = np.eye(16)[3]
    gen = Generator(_Stripes(u), 16, 8, 1, content_hash="g1")
    ext = wrap_extractor(_Mean(), ["bright", "square"], [True, False], 8, 1)
    full = build_cache(gen, ext, 200, tmp_path / "full", batch=32, progress=False)
    import tlgan.latent.cache as cache_mod
    calls = {"n": 0}
    real = cache_mod.write_json

    def dying(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # killed after a few batches
        return real(*a, **k)
    monkeypatch.setattr(cache_mod, "write_json", dying)
    with pytest.raises(KeyboardInterrupt):
        build_cache(gen, ext, 200, tmp_path / "part", batch=32, progress=False)
    monkeypatch.setattr(cache_mod, "write_json", real)
    with pytest.raises(UserError, match="unfinished"):
        open_cache(tmp_path / "part")
    resumed = build_cache(gen, ext, 200, tmp_path / "part", batch=32, progress=False)
    assert np.array_equal(resumed.z, full.z) and np.array_equal(resumed.y, full.y)
    axes = fit_glm(resumed.z, resumed.y, resumed.label_names, resumed.binary)
    assert axes.vector("bright") @ u > 0.99
    with pytest.raises(UserError, match="another generator"):
        open_cache(tmp_path / "full", generator_hash="other")
    other = Generator(_Stripes(u), 16, 8, 1, content_hash="g2")
    with pytest.raises(UserError, match="other settings"):
        build_cache(other, ext, 200, tmp_path / "full", batch=32, progress=False)


def test_duplicate_and_dependent_locks_change_nothing():
    z, y, _u, _v = _planted()
    names = ["A", "B", "C"]
    axes = fit_glm(z, np.concatenate([y, y[:, :1] + y[:, 1:]], 1), names, [True, False, False])
    z0 = torch.randn(3, 32)
    once = edit_latents(z0, axes, {"B": 2.0}, lock=["A"])
    assert torch.equal(edit_latents(z0, axes, {"B": 2.0}, lock=["A", "A"]), once)  # bit for bit
    many = edit_latents(z0, axes, {"C": 1.0}, lock=["A", "B"] * 500)  # a huge, rank-2 lock list
    assert torch.allclose(many, edit_latents(z0, axes, {"C": 1.0}, lock=["A", "B"]), atol=1e-6)


@pytest.mark.parametrize("bad", [np.zeros((1, 32)), np.full((1, 32), np.nan), np.ones((1, 32)) * (1 + 1j)])
def test_bad_boundaries_are_refused(tmp_path, bad):
    np.save(tmp_path / "b.npy", bad)
    with pytest.raises(UserError, match="boundary"):
        import_boundary(tmp_path / "b.npy", 32)


def test_plugged_extractors_are_hashed_by_their_weights():
    a = wrap_extractor(torch.nn.Linear(4, 2), ["x", "y"], [True, True], 2, 1)
    b = wrap_extractor(torch.nn.Linear(4, 2), ["x", "y"], [True, True], 2, 1)
    assert a.content_hash != b.content_hash  # same class, other weights: another extractor
    c = torch.nn.Linear(4, 2)
    c.load_state_dict(a.state_dict())
    assert wrap_extractor(c, ["x", "y"], [True, True], 2, 1).content_hash == a.content_hash


def test_pixel_mlp_judge_trains_saves_and_loads(tmp_path):
    from tlgan.data import load_data
    from tlgan.extractors import evaluate_extractor, load_extractor, save_extractor, train_extractor
    data = load_data("digits", 16)
    m = train_extractor(data, steps=150, batch_size=64, arch="mlp", width=64, progress=False)
    save_extractor(m, tmp_path / "mlp")
    back = load_extractor(tmp_path / "mlp")
    assert type(back).__name__ == "PixelMLP"
    x = data.batch(torch.arange(8))
    assert torch.allclose(back(x), m(x), atol=0.05)  # fp16 storage
    aucs = [v["auc"] for v in evaluate_extractor(back, load_data("digits", 16, split="test")).values()]
    assert np.mean(aucs) > 0.9  # it learnt the digits
    with pytest.raises(UserError, match="unknown extractor architecture"):
        train_extractor(data, steps=1, arch="vit")


def test_a_plugged_extractor_differing_only_in_a_plain_attribute_is_another_extractor():
    """The cache identity covers behaviour, not only weights: a scale kept as a plain attribute changes it."""
    class Scaled(torch.nn.Module):
        def __init__(self, scale: float):
            super().__init__()
            self.scale = scale
            self.body = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 2))

        def forward(self, x):
            return self.body(x) * self.scale

    torch.manual_seed(0)
    a = Scaled(1.0)
    b = Scaled(2.0)
    b.load_state_dict(a.state_dict())
    ha = wrap_extractor(a, ["x", "y"], [True, True], 8, 3).content_hash
    assert wrap_extractor(b, ["x", "y"], [True, True], 8, 3).content_hash != ha
    c = Scaled(1.0)
    c.load_state_dict(a.state_dict())
    assert wrap_extractor(c, ["x", "y"], [True, True], 8, 3).content_hash == ha  # the same behaviour: the same
