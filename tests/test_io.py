"""Loading generators: run directories, TorchScript files with a descriptor, module:function factories."""
import json
import sys
import warnings

import pytest
import torch

from tlgan.data.images import resize
from tlgan.errors import UserError
from tlgan.generator import export_generator, load_generator
from tlgan.pretrained import default_paths


class Tiny(torch.nn.Module):
    def forward(self, z):
        return torch.tanh(z[:, :12].view(-1, 3, 2, 2))


def test_torchscript_generator_with_descriptor(tmp_path):
    path = tmp_path / "g.pt"
    with warnings.catch_warnings():  # TorchScript is deprecated by PyTorch: the legacy format a user may still bring
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(Tiny()).save(str(path))
    with pytest.raises(UserError, match="JSON descriptor"):
        load_generator(path, trust_code=True)  # no descriptor beside it
    (tmp_path / "g.json").write_text(json.dumps({"z_dim": 16, "resolution": 2, "channels": 3}))
    with pytest.raises(UserError, match="--trust-code"):
        load_generator(path)  # TorchScript runs code: refused unless trusted
    g = load_generator(path, trust_code=True)
    z, x = g.sample(4, seed=0)
    assert x.shape == (4, 3, 2, 2) and torch.allclose(x, Tiny()(z))
    with pytest.raises(UserError, match="latent must have shape"):
        g(torch.zeros(1, 5))


def test_torch_export_generator_and_extractor_go_through_axes_and_edit(tmp_path):
    """The current plug-in format: .pt2 files from torch.export (dynamic batch) with JSON descriptors."""
    from conftest import run_cli

    from tlgan.extractors import load_extractor
    g, ext = load_generator(default_paths()["generator"]), load_extractor(default_paths()["extractor"])
    batch = torch.export.Dim.AUTO  # a dynamic batch dimension
    torch.export.save(torch.export.export(g.net, (g.latents(2),), dynamic_shapes=({0: batch},)),
                      str(tmp_path / "g.pt2"))
    (tmp_path / "g.json").write_text(json.dumps({"z_dim": g.z_dim, "resolution": g.resolution, "channels": 3}))
    x = torch.zeros(2, 3, 32, 32)  # the extractor reads 32x32 faces (predict_labels resizes G's images)
    torch.export.save(torch.export.export(ext, (x,), dynamic_shapes=({0: batch},)), str(tmp_path / "f.pt2"))
    (tmp_path / "f.json").write_text(json.dumps({"label_names": ext.label_names, "binary": ext.binary,
                                                 "resolution": 32, "channels": 3}))
    for load, name in ((load_generator, "g.pt2"), (load_extractor, "f.pt2")):
        with pytest.raises(UserError, match="--trust-code"):
            load(tmp_path / name)
    g2, ext2 = load_generator(tmp_path / "g.pt2", trust_code=True), load_extractor(tmp_path / "f.pt2", trust_code=True)
    z = g.latents(5, seed=3)
    img = resize(g(z), ext.resolution)
    assert torch.allclose(g2(z), g(z), atol=1e-5) and torch.allclose(ext2(img), ext(img), atol=1e-4)
    for args in (["axes", "sample", "--generator", str(tmp_path / "g.pt2"), "--features", str(tmp_path / "f.pt2"),
                  "--n", "512", "--out", str(tmp_path / "cache")],
                 ["axes", "fit", str(tmp_path / "cache"), "--out", str(tmp_path / "axes")],
                 ["edit", "--generator", str(tmp_path / "g.pt2"), "--axes", str(tmp_path / "axes"), "--set",
                  "Smiling=2", "--out", str(tmp_path / "e.png")]):
        code, _, err = run_cli("--trust-code", *args)
        assert code == 0, (args[:2], err[-600:])
        assert ("runs code with your rights" in err) == (args[1] != "fit")  # the warning, where code is loaded
    assert (tmp_path / "e.png").exists()
    code, _, err = run_cli("sample", str(tmp_path / "g.pt2"), "--n", "2", "--out", str(tmp_path / "s.png"))
    assert code == 2 and "--trust-code" in err and err.count("\n") == 1 and not (tmp_path / "s.png").exists()


def test_factory_generator(tmp_path, monkeypatch):
    (tmp_path / "my_gens.py").write_text(
        "import torch\n"
        "class T(torch.nn.Module):\n"
        "    def forward(self, z):\n"
        "        return torch.tanh(z[:, :12].view(-1, 3, 2, 2))\n"
        "def make():\n"
        "    return T(), {'z_dim': 12, 'resolution': 2, 'channels': 3}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UserError, match="--trust-code"):
        load_generator("my_gens:make")
    assert "my_gens" not in sys.modules  # refused before anything was imported
    g = load_generator("my_gens:make", trust_code=True)
    assert g.z_dim == 12 and g(g.latents(2)).shape == (2, 3, 2, 2)
    with pytest.raises(UserError, match="cannot import"):
        load_generator("my_gens:nope", trust_code=True)
    sys.modules.pop("my_gens", None)


def test_export_roundtrip_keeps_outputs(tmp_path):
    g = load_generator(default_paths()["generator"])
    export_generator(default_paths()["generator"].parent / "generator", tmp_path / "copy", half=True)
    g2 = load_generator(tmp_path / "copy")
    z = g.latents(3, seed=1)
    assert torch.allclose(g(z), g2(z), atol=1e-3)
    with pytest.raises(UserError, match="not a tlgan run directory"):
        load_generator(tmp_path)


def test_factory_in_the_current_directory_works_through_the_console_script(tmp_path):
    import shutil
    import subprocess
    (tmp_path / "here_gens.py").write_text(
        "import torch\n"
        "def make():\n"
        "    return torch.nn.Sequential(torch.nn.Unflatten(1, (3, 2, 2)), torch.nn.Tanh()), "
        "{'z_dim': 12, 'resolution': 2, 'channels': 3}\n")
    exe = shutil.which("tlgan")
    assert exe, "the tlgan console script is installed by setup.sh"
    p = subprocess.run([exe, "--trust-code", "sample", "here_gens:make", "--n", "2", "--out", "g.png"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "g.png").exists()


@pytest.mark.parametrize("model", ["faces", "fashion"])
def test_exporting_a_shipped_model_fills_its_card_from_its_own_config(tmp_path, model):
    from tlgan.generator import export_generator
    from tlgan.pretrained import default_paths
    out = export_generator(default_paths(model)["generator"], tmp_path / "export")
    card = (out / "README.md").read_text()
    assert "None" not in card and "unknown" not in card and f"on {model}" in card
    tags = card.split("tags:")[1].split("datasets:")[0].split()[1::2]  # "- tag" lines
    assert len(tags) == len(set(tags))
    assert (out / "samples.png").exists() and "samples.png" in card


def test_factory_generators_differing_only_in_a_plain_attribute_are_different_generators(tmp_path, monkeypatch):
    """The cache identity of a factory generator covers its behaviour: a scale kept as a plain attribute."""
    (tmp_path / "scaled_gens.py").write_text(
        "import torch\n"
        "class T(torch.nn.Module):\n"
        "    def __init__(self, s):\n"
        "        super().__init__()\n"
        "        self.s = s\n"
        "    def forward(self, z):\n"
        "        return torch.tanh(self.s * z[:, :12].view(-1, 3, 2, 2))\n"
        "D = {'z_dim': 12, 'resolution': 2, 'channels': 3}\n"
        "def one():\n"
        "    return T(1.0), D\n"
        "def two():\n"
        "    return T(2.0), D\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    a, b = (load_generator(f"scaled_gens:{f}", trust_code=True) for f in ("one", "two"))
    assert a.content_hash != b.content_hash
    sys.modules.pop("scaled_gens", None)


def test_captions_wrap_instead_of_running_off_the_image():
    """A title wider than the grid (a long `tlgan edit` recipe on a two-column grid) wraps at spaces onto more lines,
    each within the image; a label wider than its column wraps within the column."""
    import numpy as np
    from PIL import ImageFont

    from tlgan.data.images import caption, wrap_text
    font = ImageFont.load_default(size=14)
    title = "seeds 11..14: Smiling=+1.5, Eyeglasses=+2; locked: Male, Young"
    lines = wrap_text(title, font, 260)
    assert len(lines) >= 2 and " ".join(lines) == title and all(font.getlength(t) <= 260 for t in lines)
    assert wrap_text("Mouth_Slightly_Open +3", font, 120) == ["Mouth_Slightly_", "Open +3"]   # at underscores
    long_word = wrap_text("Mouth_Slightly_Open", font, 40)               # a piece still wider: anywhere
    assert "".join(long_word) == "Mouth_Slightly_Open" and all(font.getlength(t) <= 40 for t in long_word)
    grid = np.zeros((200, 268, 3), np.uint8)
    one_line = caption(grid, ["original", "edited"], "short")
    wrapped = caption(grid, ["original", "edited"], title)
    assert wrapped.shape[0] - one_line.shape[0] == (len(lines) - 1) * 20 and wrapped.shape[1] == 268
    labels = caption(grid, ["Mouth_Slightly_Open +3", "b"])
    assert labels.shape[0] - caption(grid, ["a", "b"]).shape[0] == 20   # the long label took two lines
    assert (wrapped[-200:] == grid).all()                                 # the images below are untouched


def test_row_labels_stand_left_of_their_rows():
    """Row labels widen the image by a white margin holding each label beside its row's middle; the images keep their
    pixels, and a grid without row labels is unchanged."""
    import numpy as np
    import torch

    from tlgan.data.images import caption, grid_image
    grid = np.zeros((200, 268, 3), np.uint8)
    plain = caption(grid, ["a", "b"])
    rows = caption(grid, ["a", "b"], row_labels=["seed 1", "Smiling +1.5, No_Beard +2, Male locked"])
    margin = rows.shape[1] - 268
    assert 40 < margin <= 168 and rows.shape[0] - plain.shape[0] == 0  # the long label wraps within 160 px
    assert (rows[-200:, margin:] == grid).all() and (rows[-200:, :margin] == plain[-200:, :margin].max()).any()
    ink = (rows[-200:, :margin] < 128).any(2).any(1)  # which lines of the margin hold text
    assert ink[:100].any() and ink[100:].any() and not ink[:30].any() and not ink[-30:].any()  # centred in each row
    assert plain.shape[1] == 268 and grid_image(torch.zeros(4, 3, 8, 8), nrow=2, min_size=66).shape == (66, 66, 3)


def test_images_are_read_into_writable_arrays(tmp_path):
    """read_image and center_crop_resize return arrays torch.from_numpy takes without warning (a read-only view of
    Pillow's buffer made `tlgan style-transfer` print PyTorch's non-writable-array warning)."""
    import numpy as np
    from PIL import Image

    from tlgan.data.images import center_crop_resize, read_image
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    arr = read_image(tmp_path / "a.png")
    assert arr.flags.writeable and center_crop_resize(arr, 16).flags.writeable
    assert center_crop_resize(arr, 20).flags.writeable     # the crop alone, no resize


def test_text_and_json_outputs_make_their_folder_and_refuse_a_folder(tmp_path):
    """`--json new/dir/x.json` was FileNotFoundError's traceback (`tlgan evaluate directions`); a folder given as
    the file, or a file where the folder must be, is one line."""
    from tlgan.io import read_json, write_json
    write_json(tmp_path / "a" / "b" / "x.json", {"k": 1})
    assert read_json(tmp_path / "a" / "b" / "x.json") == {"k": 1}
    with pytest.raises(UserError, match="is a folder"):
        write_json(tmp_path / "a", {"k": 2})
    with pytest.raises(UserError, match="is a file"):
        write_json(tmp_path / "a" / "b" / "x.json" / "y.json", {"k": 3})


def test_npy_outputs_name_the_file_they_write_and_leave_no_temporary_behind(tmp_path):
    """`sample --save-latents z` wrote z.npy but said z; a .npy output makes its folder, appends .npy as NumPy
    does, returns the real name, and refuses a folder given as the file."""
    import numpy as np

    from tlgan.io import save_npy
    assert save_npy(tmp_path / "new" / "z", np.arange(3.0)) == tmp_path / "new" / "z.npy"
    assert np.array_equal(np.load(tmp_path / "new" / "z.npy"), np.arange(3.0))
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["z.npy"]
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(UserError, match="is a folder"):
        save_npy(tmp_path / "d.npy", np.zeros(2))
