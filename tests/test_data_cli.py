"""Data loaders and the CLI's contract for bad input: one line, non-zero exit, nothing half-written."""
import gzip
import struct

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from tlgan.data import load_data
from tlgan.data.fashion import load_fashion, read_idx
from tlgan.data.images import read_image
from tlgan.errors import UserError


def _write_idx(path, arr):
    header = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + b"".join(struct.pack(">I", d) for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_idx_reader_on_a_fixture(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 255, (5, 28, 28))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", imgs)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(5))
    x, y = load_fashion("test", str(tmp_path))
    assert np.array_equal(x, imgs) and y.tolist() == [0, 1, 2, 3, 4]
    d = load_data(f"fashion:{tmp_path}", split="test")
    assert d.x.shape == (5, 1, 28, 28) and d.labels.shape == (5, 14)
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09abc"))
    with pytest.raises(UserError, match="IDX header"):
        read_idx(tmp_path / "bad.gz")


def test_missing_fashion_gives_install_hint(tmp_path):
    with pytest.raises(UserError, match="apt-get install dataset-fashion-mnist"):
        load_fashion("train", str(tmp_path))


def _faces_folder(tmp_path, layout):
    rng = np.random.default_rng(0)
    root = tmp_path / layout
    img_dir = root / "img_align_celeba" if layout == "celeba" else root
    img_dir.mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(4)]
    for n in names:
        Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(img_dir / n)
    if layout == "celeba":
        rows = [f"{n} {'1' if i % 2 else '-1'} -1" for i, n in enumerate(names)]
        (root / "list_attr_celeba.txt").write_text("4\nSmiling Male\n" + "\n".join(rows) + "\n")
    else:
        rows = [f"{n},{i % 2},{i * 0.5}" for i, n in enumerate(names)]
        (root / "attributes.csv").write_text("filename,Smiling,age\n" + "\n".join(rows) + "\n")
    return root


@pytest.mark.parametrize("layout", ["celeba", "csv"])
def test_folder_layouts(tmp_path, layout):
    root = _faces_folder(tmp_path, layout)
    d = load_data(f"folder:{root}", resolution=32)
    assert d.x.shape == (4, 3, 32, 32)
    assert d.labels[:, 0].tolist() == [0, 1, 0, 1]
    assert d.binary[0] and (d.binary[1] == (layout == "celeba"))


def test_csv_that_does_not_match_files(tmp_path):
    root = _faces_folder(tmp_path, "csv")
    (root / "attributes.csv").write_text("filename,Smiling\nmissing.png,1\n")
    with pytest.raises(UserError, match="missing"):
        load_data(f"folder:{root}", resolution=32)


def test_corrupt_image_names_the_file(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    with pytest.raises(UserError, match=r"broken\.png"):
        read_image(bad)


@pytest.mark.parametrize("args,expect", [
    (["train", "vqgan", "--data", "digits"], "unknown model"),
    (["train", "dcgan", "--data", "nosuch"], "unknown dataset"),
    (["train", "dcgan", "--data", "digits", "--resolution", "48"], "resolution"),
    (["train", "dcgan", "--data", "fashion:/nonexistent"], "dataset-fashion-mnist"),
])
def test_cli_bad_input_is_one_line_and_leaves_no_run(tmp_path, args, expect):
    out = tmp_path / "run"
    code, _stdout, stderr = run_cli(*args, "--out", str(out), "--steps", "2")
    assert code == 2, stderr
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and expect in lines[0], stderr
    assert "Traceback" not in stderr and not out.exists()


def test_cli_unknown_config_key_and_non_image_folder(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: dcgan\nlearnin_rate: 0.1\n")
    code, _, err = run_cli("train", "dcgan", "--data", "digits", "--config", str(cfg), "--out", str(tmp_path / "r"))
    assert code == 2 and "learnin_rate" in err and "Traceback" not in err
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "a.png").write_text("not an image")
    code, _, err = run_cli("train", "dcgan", "--data", f"folder:{folder}", "--out", str(tmp_path / "r2"))
    assert code == 2 and "a.png" in err and not (tmp_path / "r2").exists()


def test_cli_render_train_sample(tmp_path):
    code, _, err = run_cli("data", "render", "faces", "--n", "6", "--out", str(tmp_path / "faces"),
                           "--resolution", "32")
    assert code == 0, err
    csv = (tmp_path / "faces" / "attributes.csv").read_text().splitlines()
    assert csv[0].startswith("filename,Male,Young,Smiling") and len(csv) == 7
    assert (tmp_path / "faces" / "contact_sheet.png").exists()
    (tmp_path / "faces" / "._000000.png").write_bytes(b"macOS resource fork")   # a hidden file left by a copy
    rendered = load_data(f"folder:{tmp_path / 'faces'}", 32)   # the render is a dataset: its preview is no image of it
    assert len(rendered) == 6 and rendered.label_names[:2] == ["Male", "Young"]
    code, out, err = run_cli("data", "inspect", f"folder:{tmp_path / 'faces'}", "--resolution", "32",
                             "--sheet", str(tmp_path / "sheet.png"))
    assert code == 0 and out.startswith("folder: 6 images, C×H×W = 3×32×32; 21 label(s)"), err
    share = sum(float(r.split(",")[1]) for r in csv[1:]) / 6    # Male, as written in attributes.csv
    assert f"Male                   binary      {share:6.1%} have it" in out and "age" in out and "mean" in out
    assert (tmp_path / "sheet.png").exists()
    run = tmp_path / "run"
    code, _, err = run_cli("train", "wgan", "--data", "digits", "--steps", "3", "--out", str(run))
    assert code == 0, err
    code, _out, err = run_cli("sample", str(run), "--n", "4", "--out", str(tmp_path / "g.png"),
                             "--out-dir", str(tmp_path / "singles"), "--save-latents", str(tmp_path / "z.npy"))
    assert code == 0, err
    assert np.load(tmp_path / "z.npy").shape == (4, 100)
    assert len(list((tmp_path / "singles").glob("*.png"))) == 4
    assert Image.open(tmp_path / "g.png").size[0] >= 64
    code, _, err = run_cli("train", "wgan", "--data", "digits", "--steps", "3", "--out", str(run))
    assert code == 2 and "--resume" in err


def test_render_refuses_a_count_beyond_its_cap_or_the_disk_and_writes_nothing(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    from tlgan.data.faces import write_faces
    from tlgan.errors import UserError
    out = tmp_path / "faces"
    code, _, err = run_cli("data", "render", "faces", "--n", "1000000000", "--out", str(out))
    assert code == 2 and "between 1 and" in err and err.count("\n") == 1, err
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 ** 9, 10 ** 9 - 10 ** 6, 10 ** 6))
    with pytest.raises(UserError, match="GB free"):
        write_faces(out, 1000, resolution=32)
    assert not out.exists()


def test_render_in_chunks_matches_one_render(tmp_path):
    from tlgan.data.faces import render_faces, write_faces
    write_faces(tmp_path / "f", 5, seed=3, resolution=32, start=10, chunk=2)
    imgs, _ = render_faces(5, seed=3, resolution=32, start=10)
    for i, name in enumerate(sorted(p.name for p in (tmp_path / "f").glob("0*.png"))):
        assert name == f"{10 + i:06d}.png"
        assert np.array_equal(np.asarray(Image.open(tmp_path / "f" / name)), imgs[i].permute(1, 2, 0).numpy())
    assert len((tmp_path / "f" / "attributes.csv").read_text().splitlines()) == 6


def test_one_colour_image_makes_a_colour_folder(tmp_path):
    """A stray greyscale image sorted first no longer turns a colour folder grey (the first file decided once);
    a folder of greyscale images stays one-channel."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8)).save(tmp_path / "a_grey.png")
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)).save(tmp_path / f"b{i}.jpg")
    assert load_data(f"folder:{tmp_path}", 16).shape == (3, 16, 16)
    for f in tmp_path.glob("b*.jpg"):
        f.unlink()
    assert load_data(f"folder:{tmp_path}", 16).shape == (1, 16, 16)
