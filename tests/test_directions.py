"""Unsupervised directions (GANSpace, SeFa) and the literature's edit metrics (re-scoring, AD, DCI, separability)."""
import numpy as np
import pytest
import torch
from torch import nn

from tlgan.errors import UserError
from tlgan.extractors import wrap_extractor
from tlgan.generator import Generator
from tlgan.latent.axes import Axes
from tlgan.latent.direction_metrics import (
    attribute_dependency,
    correlations,
    dci,
    linear_separability,
    match,
    rescoring,
)
from tlgan.latent.directions import annotate, fit_ganspace, fit_sefa

D = 8  # latent size of the toys; images are 1 × 4 × 4 = 16 pixels


class _LinearToy(nn.Module):
    """z (N, 8) -> a linear first layer (planted singular values, equal row norms, so SeFa's row normalisation is a
    uniform scale) -> tanh -> 1 × 4 × 4 image."""

    def __init__(self, spectrum, seed=0):
        super().__init__()
        from scipy.linalg import hadamard
        g = torch.Generator().manual_seed(seed)
        u = torch.tensor(hadamard(16), dtype=torch.float32) / 4  # orthonormal, all |entries| equal: equal row norms
        v, _ = torch.linalg.qr(torch.randn(D, D, generator=g))
        self.v = v
        self.first = nn.Linear(D, 16, bias=False)
        with torch.no_grad():
            self.first.weight.copy_(u[:, :D] @ torch.diag(torch.tensor(spectrum)) @ v.T)

    def forward(self, z):
        return torch.tanh(self.first(z) * 0.3).view(-1, 1, 4, 4)


def _toy(spectrum=(6.0, 4.0, 1.0, 0.5, 0.3, 0.2, 0.1, 0.05)):
    net = _LinearToy(spectrum)
    return Generator(net, D, 4, 1, name="toy"), net.v


class _PixelGen(nn.Module):
    """z (N, 16) -> image: pixel i = z_i / 10 (well inside the [-1, 1] range images are clamped to)."""

    def forward(self, z):
        return z.view(-1, 1, 4, 4) / 10


def _pixel_judge(pixels=(0, 5, 10)):
    """A judge whose attribute j is pixel ``pixels[j]`` of the image (continuous labels)."""
    class Reader(nn.Module):
        def forward(self, x):
            return x.flatten(1)[:, list(pixels)]
    return wrap_extractor(Reader(), [f"p{p}" for p in pixels], [False] * len(pixels), resolution=4, channels=1)


def test_sefa_first_direction_equals_ganspace_z_on_a_linear_first_layer():
    g, v = _toy()
    sefa, pca = fit_sefa(g, k=3), fit_ganspace(g, k=3, n=4000, progress=False)
    assert sefa.names == ["SeFa0", "SeFa1", "SeFa2"] and pca.names[0] == "PC0"
    assert abs(float(sefa.vectors[0] @ pca.vectors[0])) > 0.99
    assert abs(float(sefa.vectors[0] @ v[:, 0].numpy())) > 0.99  # and both are the planted top singular vector
    assert np.all(np.diff(sefa.vectors @ sefa.vectors.T - np.eye(3)) < 1e-5)
    assert all(abs(sefa.quality[n]["sigma"] - 1) < 0.1 for n in sefa.names)  # unit vectors under N(0, I)


def test_ganspace_recovers_a_planted_plane():
    g, v = _toy(spectrum=(5.0, 5.0, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05))
    pca = fit_ganspace(g, k=2, n=4000, progress=False)
    plane = v[:, :2].numpy()
    # principal angles between span(PC0, PC1) and the planted plane: all cosines near 1
    q, _ = np.linalg.qr(pca.vectors.T.astype(np.float64))
    cosines = np.linalg.svd(q.T @ plane, compute_uv=False)
    assert cosines.min() > 0.98
    assert pca.quality["PC0"]["variance_ratio"] + pca.quality["PC1"]["variance_ratio"] > 0.95


def test_dci_separates_axis_aligned_from_rotated_codes():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((3000, 4))
    aligned = dci(f + 0.05 * rng.standard_normal(f.shape), f)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    rotated = dci(f @ q, f)
    assert aligned["disentanglement"] > 0.9 and aligned["completeness"] > 0.9
    assert rotated["disentanglement"] < 0.3
    assert aligned["informativeness"] > 0.9 and rotated["informativeness"] > 0.9  # both codes hold the factors


def test_attribute_dependency_is_zero_for_a_local_direction_and_positive_otherwise():
    g = Generator(_PixelGen(), 16, 4, 1, name="pixels")
    judge = _pixel_judge()
    local = np.zeros(16, np.float32)
    local[5] = 1.0
    ad = attribute_dependency(g, judge, local, target=1, sigma=1.0, n=128)
    assert ad["sign"] == 1 and ad["target_change"][-1] > 1.0
    assert max(ad["mean_ad"]) == 0.0 and max(ad["max_ad"]) == 0.0
    leaky = local.copy()
    leaky[10] = 1.0
    leaky /= np.linalg.norm(leaky)
    ad2 = attribute_dependency(g, judge, leaky, target=1, sigma=1.0, n=128)
    assert ad2["at_1sd"]["max_ad"] > 0.5


def test_rescoring_annotation_and_matching_find_the_moved_attribute():
    g = Generator(_PixelGen(), 16, 4, 1, name="pixels")
    judge = _pixel_judge()
    planted = -np.eye(16, dtype=np.float32)[[10, 0, 5]]  # each moves one pixel, sign flipped
    axes = Axes(["d0", "d1", "d2"], planted, [False] * 3, "test", quality={n: {} for n in ("d0", "d1", "d2")})
    r = rescoring(g, judge, axes, n=64, progress=False)
    assert np.allclose(r["delta"], -np.eye(3)[[2, 0, 1]] * r["sigma"][:, None] / 10, atol=1e-5)
    assert np.allclose(r["sigma"], 1, atol=0.05)  # the prior's spread along a unit vector
    annotate(g, judge, axes, n=64, progress=False)
    assert [axes.quality[n]["label"].split()[0] for n in axes.names] == ["p10+", "p0+", "p5+"]
    z = g.latents(2000).numpy()
    pairs = match(correlations(z @ axes.vectors.T, z[:, [0, 5, 10]]))
    assert [(j, k) for j, k, _ in pairs] == [(0, 1), (1, 2), (2, 0)] and all(c > 0.99 for *_, c in pairs)


def test_linear_separability_low_for_linear_labels_high_for_nonlinear():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4000, 6))
    linear = linear_separability(z, (3 * z[:, :1]), ["a"])
    xor = linear_separability(z, (3 * z[:, :1] * z[:, 1:2]), ["b"])
    assert linear["entropy"]["a"] < 0.15 and xor["entropy"]["b"] > 0.8
    assert linear["separability"] < xor["separability"]


def test_bad_inputs_are_one_line_errors():
    class ConvFirst(nn.Module):  # reads z through a Conv2d: no linear latent-facing layer
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(D, 1, 1)

        def forward(self, z):
            return self.conv(z.view(-1, D, 1, 1)).expand(-1, 1, 4, 4)
    g = Generator(ConvFirst(), D, 4, 1, name="convfirst")
    with pytest.raises(UserError, match="SeFa needs one"):
        fit_sefa(g)
    toy, _ = _toy()
    with pytest.raises(UserError, match="not a module"):
        fit_ganspace(toy, layer="nope", progress=False)
    with pytest.raises(UserError, match="style layers"):
        fit_sefa(toy, layers=(0, 1))
    with pytest.raises(UserError, match="lasso or gbt"):
        dci(np.zeros((10, 2)), np.zeros((10, 2)), method="forest")


def test_cli_find_and_match(tmp_path):
    from conftest import run_cli
    rc, _, err = run_cli("axes", "find", "--method", "pca", "--out", str(tmp_path / "x"))
    assert rc != 0 and "--method must be one of" in err and len(err.strip().splitlines()) == 1
    from tlgan.pretrained import default_paths
    shipped = default_paths()
    rc, _, err = run_cli("axes", "match", str(shipped["directions"]), "--axes", str(shipped["axes"]), "--n", "500",
                         "--json", str(tmp_path / "new" / "m.json"))
    assert rc == 0, err
    import json
    pairs = json.loads((tmp_path / "new" / "m.json").read_text())  # its folder made
    assert len(pairs) == 20 and len({p["direction"] for p in pairs}) == 20  # one direction per axis, none twice
    assert max(abs(p["corr"]) for p in pairs) > 0.7


def test_cli_evaluate_directions_side_by_side(tmp_path):
    """`tlgan evaluate directions` on the shipped model (a 300-latent cache, 16 latents per figure): the supervised
    Male axis is matched to Male and flips the judge's reading on most faces, far more often than the SeFa direction
    matched to it; the JSON (in a folder made for it) names the sets' axes, with a table and a plot beside it."""
    import json

    from conftest import run_cli

    from tlgan.pretrained import default_paths
    shipped = default_paths()
    cache = tmp_path / "cache"
    rc, _, err = run_cli("axes", "sample", "--generator", str(shipped["generator"]), "--features",
                         str(shipped["extractor"]), "--n", "300", "--out", str(cache))
    assert rc == 0, err
    out = tmp_path / "new" / "eval.json"
    rc, _, err = run_cli("evaluate", "directions", "--set", f"glm={shipped['axes']}", "--set",
                         f"sefa={shipped['directions']}", "--cache", str(cache), "--n", "16", "--n-real", "32",
                         "--json", str(out))
    assert rc == 0, err
    d = json.loads(out.read_text())
    assert d["set_hashes"] == {"glm": Axes.load(shipped["axes"]).content_hash,
                               "sefa": Axes.load(shipped["directions"]).content_hash}
    glm, sefa = (d["sets"][k]["attributes"]["Male"] for k in ("glm", "sefa"))
    assert glm["direction"] == "Male" and glm["flip_rate"] >= 0.75 and glm["flip_rate"] > sefa["flip_rate"] + 0.3
    assert out.with_suffix(".md").exists() and out.with_suffix(".png").exists()


def test_w_and_w_plus_spaces_of_a_style_generator():
    from tlgan.generator import _style_space
    from tlgan.models.style import StyleGenerator
    torch.manual_seed(0)
    net = StyleGenerator(z_dim=8, w_dim=8, resolution=16, channels=1, width=4).eval()
    base = Generator(net, 8, 16, 1, name="style")
    gw, gplus = _style_space(base, "w"), _style_space(base, "w+")
    pca = fit_ganspace(gw, k=2, n=2000, progress=False)
    w = gw.latents(2000).numpy()
    top = np.linalg.eigh(np.cov(w.T))[1][:, -1]
    assert abs(float(pca.vectors[0] @ top)) > 0.99 and pca.space == "w"
    sefa = fit_sefa(gplus, k=3, layers=(1, 2))
    blocks = sefa.vectors.reshape(3, gplus.n_ws, 8)
    assert np.abs(blocks[:, 0]).max() == 0 and np.abs(blocks[:, 3:]).max() == 0  # only style layers 1-2 move
    assert np.allclose(blocks[:, 1], blocks[:, 2]) and sefa.space == "w+"
    with pytest.raises(UserError, match="--layer is for Z-space"):
        fit_ganspace(gw, layer="net.0", progress=False)
