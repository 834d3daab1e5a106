"""The faces renderer: deterministic, correlated like CelebA, and its labels are visible in its pixels."""
import numpy as np
import pytest
import torch

from tlgan.data.faces import ATTRIBUTES, BINARY, counterfactual_faces, render_faces, sample_attributes


def test_deterministic_per_seed_and_index():
    a, _ = render_faces(8, seed=3, start=100)
    b, _ = render_faces(4, seed=3, start=104)
    assert torch.equal(a[4:], b)
    c, _ = render_faces(8, seed=4, start=100)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("res", [32, 64, 128])
def test_resolutions(res):
    x, attrs = render_faces(3, resolution=res)
    assert x.shape == (3, 3, res, res) and x.dtype == torch.uint8
    assert set(attrs) == set(ATTRIBUTES) and len(BINARY) >= 15


def test_celeba_like_correlations():
    a = sample_attributes(0, np.arange(20_000))
    m = a["Male"] == 1
    assert a["Mustache"][~m].mean() == 0 and a["Mustache"][m].mean() > 0.2
    assert (1 - a["No_Beard"][m]).mean() > 0.3 and 0.04 < (1 - a["No_Beard"][~m]).mean() < 0.12
    assert a["Heavy_Makeup"][~m].mean() > 10 * a["Heavy_Makeup"][m].mean()
    assert a["Wearing_Earrings"][~m].mean() > 5 * a["Wearing_Earrings"][m].mean()
    old = a["age"] > 55
    assert a["Gray_Hair"][old].mean() > 3 * a["Gray_Hair"][~old].mean()
    assert a["Bald"][old & m].mean() > 2 * a["Bald"][~old & m].mean()
    s = a["Smiling"] == 1
    assert a["Mouth_Slightly_Open"][s].mean() > 2 * a["Mouth_Slightly_Open"][~s].mean()
    assert np.array_equal(a["Young"], (a["age"] < 40).astype(np.int8))


def _flip(attr: str, n: int = 16):
    """|difference| (n, R, R) between n faces and their exact counterfactuals with ``attr`` flipped."""
    x, cf, before = counterfactual_faces(attr, n, seed=1)
    assert np.array_equal(sample_attributes(1, np.arange(n))[attr], before)
    return (cf.float() - x.float()).abs().sum(1)


def _share(diff, rows, cols):
    return float(diff[:, rows[0]:rows[1], cols[0]:cols[1]].sum() / diff.sum())


@pytest.mark.parametrize("attr,rows,cols", [
    ("Eyeglasses", (22, 40), (10, 54)),     # the eye band
    ("Smiling", (34, 52), (14, 50)),        # the mouth region
    ("Mustache", (32, 48), (14, 50)),       # above the mouth
    ("Wearing_Hat", (0, 26), (0, 64)),      # the top of the head
])
def test_labels_visible_in_their_region(attr, rows, cols):
    diff = _flip(attr)
    assert diff.sum() > 0, f"{attr} changes no pixel"
    assert _share(diff, rows, cols) > 0.8, f"{attr}'s change is not where it belongs"


def test_a_second_faces_load_comes_from_the_disk_cache_without_rendering(monkeypatch):
    import tlgan.data.faces as faces
    from tlgan.data import load_data
    first = load_data("faces", 32, 1000, seed=5)
    monkeypatch.setattr(faces, "render", lambda *a, **k: (_ for _ in ()).throw(AssertionError("rendered again")))
    second = load_data("faces", 32, 1000, seed=5)
    assert torch.equal(first.x, second.x) and np.array_equal(first.labels, second.labels)
    with pytest.raises(AssertionError, match="rendered again"):  # another seed is other data: rendered
        load_data("faces", 32, 1000, seed=6)
