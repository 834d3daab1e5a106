"""CycleGAN on a toy colour swap (red shapes ↔ green shapes) within a CPU budget, and the translate CLI."""
import numpy as np
import pytest
import torch
from conftest import run_cli
from PIL import Image
from sklearn.linear_model import LogisticRegression

from tlgan.data import load_data
from tlgan.errors import UserError
from tlgan.training import make_config, train
from tlgan.translate import load_translator, translate

RED, GREEN = "shapes#Green=0", "shapes#Green"
CYCLE_BOUND = 0.15  # mean |x − F(G(x))| on the [−1, 1] scale, i.e. under 7.5% of the range


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cfg = make_config(dict(model="cyclegan", data=RED, data_b=GREEN, n_data=2000, steps=450, width=8, n_res=2,
                         batch_size=16, sample_every=450, ckpt_every=450, lr_decay="linear"))
    return train(cfg, tmp_path_factory.mktemp("cyc") / "run", progress=False, log=lambda *_: None)


def test_cyclegan_learns_the_colour_swap(run):
    a = load_data(RED, split="test", n=600).batch(slice(None))
    b = load_data(GREEN, split="test", n=600).batch(slice(None))
    flat = lambda x: x.flatten(1).numpy()  # noqa: E731
    target = LogisticRegression(max_iter=2000).fit(np.concatenate([flat(a), flat(b)]),
                                                   np.r_[np.zeros(len(a)), np.ones(len(b))])  # real B = 1
    g, _ = load_translator(run, "a2b")
    f, _ = load_translator(run, "b2a")
    ab, ba = translate(g, a), translate(f, b)
    assert target.predict(flat(ab)).mean() >= 0.9        # red shapes turned green
    assert (1 - target.predict(flat(ba))).mean() >= 0.9  # and back
    assert (translate(f, ab) - a).abs().mean() < CYCLE_BOUND
    assert (translate(g, ba) - b).abs().mean() < CYCLE_BOUND


def test_translate_cli_and_errors(run, tmp_path):
    a = load_data(RED, split="test", n=20)
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(3):
        Image.fromarray(a.x[i].permute(1, 2, 0).numpy()).save(inp / f"{i}.png")
    code, _, err = run_cli("translate", str(run), "--input", str(inp), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert len(list((tmp_path / "o").glob("*_a2b.png"))) == 3 and (tmp_path / "o" / "grid.png").exists()
    Image.new("RGB", (32, 32)).save(tmp_path / "big.png")
    code, _, err = run_cli("translate", str(run), "--input", str(tmp_path / "big.png"))
    assert code == 2 and "16x16" in err
    code, _, err = run_cli("translate", str(run), "--input", str(inp), "--direction", "up")
    assert code == 2 and "a2b or b2a" in err


def test_domain_errors():
    with pytest.raises(UserError, match="differ in size"):
        from tlgan.training.cyclegan import CycleGANTrainer
        cfg = make_config(dict(model="cyclegan", data=RED, data_b="digits"))
        CycleGANTrainer(cfg, load_data(RED, n=100))
    with pytest.raises(UserError, match="no label"):
        load_data("shapes#Blond_Hair")
    with pytest.raises(UserError, match="second domain"):
        CycleGANTrainer(make_config(dict(model="cyclegan", data=RED)), load_data(RED, n=100))
    assert torch.is_tensor(load_data(GREEN, n=50).x)
