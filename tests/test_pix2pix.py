"""pix2pix on a toy pairing (a shape image -> its colour inverse) within seconds; paired-data errors."""
import numpy as np
import pytest
from PIL import Image

from tlgan.data import load_data
from tlgan.errors import UserError
from tlgan.training import make_config, train
from tlgan.translate import load_translator, translate


def test_pix2pix_beats_copying_the_input_on_held_out_pairs(tmp_path):
    cfg = make_config(dict(model="pix2pix", data="shapes|inverse", data_b="shapes", resolution=16, n_data=1000,
                           steps=200, width=16, batch_size=16, sample_every=200, ckpt_every=200))
    run = train(cfg, tmp_path / "run", progress=False, log=lambda *_: None)
    net, shape = load_translator(run, "a2b")
    assert shape == (3, 16, 16)
    a, b = load_data("shapes|inverse", 16, 300, split="test"), load_data("shapes", 16, 300, split="test")
    x, y = a.batch(slice(None)), b.batch(slice(None))
    model_l1, copy_l1 = (translate(net, x) - y).abs().mean().item(), (x - y).abs().mean().item()
    assert model_l1 < 0.25 * copy_l1, (model_l1, copy_l1)
    with pytest.raises(UserError, match="a2b"):
        load_translator(run, "b2a")


def test_folder_pairs_must_have_matching_names_and_pairings_must_exist(tmp_path):
    for side, names in (("A", ["1.png", "2.png"]), ("B", ["1.png", "3.png"])):
        (tmp_path / side).mkdir()
        for n in names:
            Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / side / n)
    cfg = make_config(dict(model="pix2pix", data=f"folder:{tmp_path / 'A'}", data_b=f"folder:{tmp_path / 'B'}",
                           resolution=16, steps=1))
    with pytest.raises(UserError, match="pairs images by file name"):
        train(cfg, tmp_path / "run", progress=False, log=lambda *_: None)
    with pytest.raises(UserError, match="unknown pairing"):
        load_data("shapes|sketchy", 16, 4)
