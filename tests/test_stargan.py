"""StarGAN on two-attribute toy shapes (shape colour, background) within a CPU budget; the translate CLI."""
import numpy as np
import pytest
import torch
from conftest import run_cli
from PIL import Image
from sklearn.linear_model import LogisticRegression

from tlgan.data import load_data
from tlgan.errors import UserError
from tlgan.training import make_config, train
from tlgan.training.stargan import StarGANTrainer, exclusive_attributes
from tlgan.translate import StarGAN

ATTRS = ["Green", "Light_Background"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cfg = make_config(dict(model="stargan", data="shapes", attributes=ATTRS, n_data=1000, steps=300, width=16,
                         n_res=2, batch_size=16, lr_g=1e-3, lr_d=1e-3, sample_every=120, ckpt_every=120))
    return train(cfg, tmp_path_factory.mktemp("star") / "run", progress=False, log=lambda *_: None)


@pytest.fixture(scope="module")
def test_set():
    data = load_data("shapes", split="test", n=600)
    return data.batch(slice(None)), torch.from_numpy(data.labels[:, [0, 2]])  # Green, Light_Background


def test_stargan_changes_the_requested_attribute(run, test_set):
    x, labels = test_set
    real = load_data("shapes", n=2000)
    flat = lambda v: v.flatten(1).numpy()  # noqa: E731
    judges = [LogisticRegression(max_iter=3000).fit(flat(real.batch(slice(None))), real.labels[:, col])
              for col in (0, 2)]  # classifiers of real images, independent of the GAN
    model = StarGAN(run)
    assert (model.classify(x).round() == labels).float().mean() >= 0.95  # the critic's classifier reads labels
    for j, name in enumerate(ATTRS):
        target = labels.clone()
        target[:, j] = 1 - target[:, j]
        y = model.translate(x, target)
        assert (judges[j].predict(flat(y)) == target[:, j].numpy()).mean() >= 0.8, name       # changed
        assert (judges[1 - j].predict(flat(y)) == target[:, 1 - j].numpy()).mean() >= 0.8, name  # the other kept
        back = model.translate(y, labels)
        assert (back - x).abs().mean() < 0.25, name  # translating back recovers the input


def test_translate_cli_and_errors(run, test_set, tmp_path):
    x, labels = test_set
    x = x[labels[:, 0] == 0][:3]  # red shapes
    inp = tmp_path / "in"
    inp.mkdir()
    for i, img in enumerate(x):
        Image.fromarray(((img + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()).save(inp / f"{i}.png")
    code, _, err = run_cli("translate", str(run), "--input", str(inp), "--set", "Green=1", "--out", str(tmp_path / "o"))
    assert code == 0, err
    outs = sorted((tmp_path / "o").glob("*_Green=1.png"))
    assert len(outs) == 3 and (tmp_path / "o" / "grid.png").exists()
    green = np.stack([np.asarray(Image.open(p), dtype=float) for p in outs])
    assert (green[..., 1] - green[..., 0] > 100).mean() > 0.05  # green shapes now (the inputs had none)
    for args, msg in [(["--set", "Blond_Hair=1"], "unknown attribute 'Blond_Hair'"),
                      (["--set", "Green"], "NAME=VALUE"), (["--set", "Green=2"], "lie in [0, 1]"),
                      ([], "give --set")]:
        code, _, err = run_cli("translate", str(run), "--input", str(inp), *args)
        assert code == 2 and msg in err, (args, err)
    model = StarGAN(run)
    with pytest.raises(UserError, match=r"shape \(3, 2\)"):
        model.translate(x, torch.ones(3, 3))  # wrong label width


def test_stargan_setup_errors_and_exclusive_groups():
    shapes = load_data("shapes", n=100)
    with pytest.raises(UserError, match="unknown attribute 'Blond_Hair'"):
        StarGANTrainer(make_config(dict(model="stargan", data="shapes", attributes=["Blond_Hair"])), shapes)
    with pytest.raises(UserError, match="continuous"):
        StarGANTrainer(make_config(dict(model="stargan", data="faces", attributes=["age"])), load_data("faces", 32, 50))
    faces = load_data("faces", 32, 500)
    names = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male"]
    cols = [faces.label_names.index(n) for n in names]
    groups = exclusive_attributes(faces.labels[:, cols], names)
    assert sorted(groups["Blond_Hair"]) == ["Black_Hair", "Brown_Hair"] and groups["Male"] == []


def test_generator_output_depends_on_the_labels_from_the_start():
    from tlgan.models.translation import ResnetGenerator
    torch.manual_seed(0)
    g = ResnetGenerator(3, 8, 1, extra=2).eval()
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    # an InstanceNorm right after the stem would cancel the spatially constant label planes exactly
    assert (g(x, torch.zeros(4, 2)) - g(x, torch.ones(4, 2))).abs().mean() > 1e-3
