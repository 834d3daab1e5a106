"""Bad input, tried as a careless user would: one line starting `error:`, exit status 2, no traceback, nothing
left behind, and cheap checks before expensive work."""
import json
import struct
import time
import zlib

import numpy as np
import pytest
from conftest import run_cli

from tlgan.errors import UserError
from tlgan.pretrained import default_paths

GEN = str(default_paths()["generator"])
AXES = str(default_paths()["axes"])


def _one_line_error(code, out, err, words):
    lines = err.strip().splitlines()
    assert code == 2, (code, err[-500:])
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err[-500:]
    assert "Traceback" not in out + err


def _bomb_png(path, side=20_000):
    """A PNG whose header claims side x side pixels (Pillow refuses it before decoding)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from tlgan.training import make_config, train
    cfg = make_config(dict(model="dcgan", data="digits", resolution=16, width=4, z_dim=8, batch_size=8, steps=2))
    return train(cfg, tmp_path_factory.mktemp("run") / "run", progress=False, log=lambda *_: None)


def test_decompression_bomb_in_a_folder(tmp_path):
    (tmp_path / "imgs").mkdir()
    _bomb_png(tmp_path / "imgs" / "bomb.png")
    _one_line_error(*run_cli("train", "dcgan", "--data", f"folder:{tmp_path / 'imgs'}", "--out",
                             str(tmp_path / "run")), "too large")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args,words", [
    (["train", "dcgan", "--data", "digits", "--batch-size", "2000000000"], "batch_size"),
    (["sample", GEN, "--n", "100000000"], "--n must be between"),
    (["features", "train", "--data", "digits", "--n", "0", "--out", "x"], "--n must be"),
    (["features", "train", "--data", "digits", "--batch-size", "0", "--out", "x"], "--batch-size"),
    (["evaluate", "fd", GEN, "--data", "digits", "--n", "1"], "--n must be between"),
    (["evaluate", "axes", "--reference", "Wings", "--n", "8"], "unknown axis 'Wings'"),
    (["data", "inspect", "nope"], "unknown dataset 'nope'"),
])
def test_out_of_range_options(args, words, tmp_path):
    _one_line_error(*run_cli(*args), words)


@pytest.mark.parametrize("args", [
    ["translate", "MISSING", "--input", "x.png"],
    ["anomaly", "score", "MISSING", "--input", "x"],
    ["invert", "images", "src/tlgan/pretrained/faces/generator/samples.png", "--method", "encoder",
     "--encoder", "MISSING", "--out", "OUT"],
])
def test_a_run_that_does_not_exist_is_named_as_such(args, tmp_path):
    """Not "is not a cyclegan run": the path is missing, and the message says so."""
    missing = str(tmp_path / "no-such-run")
    _one_line_error(*run_cli(*[a.replace("MISSING", missing).replace("OUT", str(tmp_path / "o")) for a in args]),
                    f"{missing} does not exist")


def test_a_bad_filter_fails_before_rendering(tmp_path):
    t = time.perf_counter()
    _one_line_error(*run_cli("train", "dcgan", "--data", "faces#Nope", "--out", str(tmp_path / "r")), "Nope")
    assert time.perf_counter() - t < 20  # rendering 30,000 faces first would take minutes


def test_a_cache_too_large_for_the_disk_leaves_nothing(tmp_path):
    out = tmp_path / "cache"
    _one_line_error(*run_cli("axes", "sample", "--generator", GEN, "--features", str(default_paths()["extractor"]),
                             "--n", "10000000000000", "--out", str(out)), "GB")
    assert not out.exists()


def test_out_naming_a_directory_leaves_no_temporary(tmp_path):
    _one_line_error(*run_cli("sample", GEN, "--n", "2", "--out", str(tmp_path)), "is a directory")
    assert not list(tmp_path.parent.glob(tmp_path.name + ".tmp"))


def test_corrupt_checkpoint_cache_and_axes(tmp_path, tiny_run):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "state" / "trainer.pt").write_bytes((run / "state" / "trainer.pt").read_bytes()[:100])
    config = (run / "config.json").read_bytes()
    _one_line_error(*run_cli("train", "dcgan", "--out", str(run), "--resume", "--steps", "8"), "corrupt")
    assert (run / "config.json").read_bytes() == config  # the failed resume changed nothing
    # a cache whose arrays do not match its metadata
    from tlgan.extractors import load_extractor
    from tlgan.generator import load_generator
    from tlgan.latent.cache import build_cache
    cache = tmp_path / "cache"
    build_cache(load_generator(GEN), load_extractor(default_paths()["extractor"]), 32, cache, progress=False)
    for z in (np.zeros((5, 100), np.float32), np.zeros(32, np.float32)):  # too few rows; one dimension
        np.save(cache / "z.npy", z)
        _one_line_error(*run_cli("axes", "fit", str(cache), "--out", str(tmp_path / "ax")), "do not match")
    (cache / "z.npy").write_bytes(b"garbage")
    _one_line_error(*run_cli("axes", "fit", str(cache), "--out", str(tmp_path / "ax")), "corrupt")
    # axes without names, and a corrupt axes file
    axes = tmp_path / "axes"
    shutil.copytree(AXES, axes)
    meta = json.loads((axes / "axes.json").read_text())
    del meta["names"]
    (axes / "axes.json").write_text(json.dumps(meta))
    _one_line_error(*run_cli("edit", "--generator", GEN, "--axes", str(axes), "--set", "Smiling=1"), "names")
    shutil.copy(f"{AXES}/axes.json", axes / "axes.json")
    (axes / "axes.safetensors").write_bytes(b"\0" * 10)
    _one_line_error(*run_cli("edit", "--generator", GEN, "--axes", str(axes), "--set", "Smiling=1"), "corrupt")


def test_attribute_tables_with_duplicate_columns_or_missing_rows(tmp_path):
    from PIL import Image
    d = tmp_path / "imgs"
    d.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (16, 16)).save(d / name)
    (d / "attributes.csv").write_text("filename,Smile,Smile\na.png,1,0\nb.png,0,1\n")
    _one_line_error(*run_cli("train", "dcgan", "--data", f"folder:{d}", "--out", str(tmp_path / "r")), "duplicate")
    (d / "attributes.csv").write_text("filename,Smile\na.png,1\n")
    _one_line_error(*run_cli("train", "dcgan", "--data", f"folder:{d}", "--out", str(tmp_path / "r")), "no row")
    for bad in ("nan", "inf"):
        (d / "attributes.csv").write_text(f"filename,Smile\na.png,1\nb.png,{bad}\n")
        _one_line_error(*run_cli("train", "dcgan", "--data", f"folder:{d}", "--out", str(tmp_path / "r")), "finite")


def test_nan_scores_and_odd_file_names_in_anomaly_outputs(tmp_path):
    import torch

    from tlgan.anomaly.bench import detection_metrics
    from tlgan.anomaly.files import write_scores
    with pytest.raises(UserError, match="NaN"):
        detection_metrics(np.array([0.1, np.nan, 0.3]), np.array([0, 1, 1]))
    name = b"caf\xe9.png".decode("utf-8", "surrogateescape")  # a Latin-1 file name on a UTF-8 system
    x = torch.zeros(1, 1, 8, 8)
    write_scores(tmp_path, [name], {"score": torch.ones(1), "normalised": torch.ones(1),
                                    "flag": torch.ones(1, dtype=torch.bool), "recon": x}, x)
    assert (tmp_path / "scores.csv").read_bytes().splitlines()[1].startswith(b"caf\xe9.png")


@pytest.mark.parametrize("cmd", [
    ["export", GEN, "--out", "{file}"],
    ["train", "dcgan", "--data", "digits", "--out", "{file}/run"],
    ["data", "render", "faces", "--n", "2", "--out", "{file}"],
    ["axes", "sample", "--generator", GEN, "--features", str(default_paths()["extractor"]), "--n", "1e13",
     "--out", "c"],
])
def test_out_naming_a_file_and_unparsable_counts(cmd, tmp_path):
    (tmp_path / "afile").write_text("keep me")
    _one_line_error(*run_cli(*[c.format(file=tmp_path / "afile") for c in cmd]), "")
    assert (tmp_path / "afile").read_text() == "keep me"


def test_a_pickled_checkpoint_and_incomplete_metadata_are_refused(tmp_path, tiny_run):
    import pickle
    import shutil
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "state" / "trainer.pt").write_bytes(pickle.dumps({"step": 1, "payload": print}))
    _one_line_error(*run_cli("train", "dcgan", "--out", str(run), "--resume", "--steps", "3"),
                    "not a tlgan checkpoint")
    from tlgan.extractors import load_extractor
    from tlgan.generator import load_generator
    from tlgan.latent.cache import build_cache
    cache = tmp_path / "cache"
    build_cache(load_generator(GEN), load_extractor(default_paths()["extractor"]), 16, cache, progress=False)
    meta = json.loads((cache / "meta.json").read_text())
    del meta["done"]
    (cache / "meta.json").write_text(json.dumps(meta))
    _one_line_error(*run_cli("axes", "fit", str(cache), "--out", str(tmp_path / "ax")), "metadata")


def test_a_cache_of_another_plugged_extractor_is_refused(tmp_path):
    import torch

    from tlgan.extractors import wrap_extractor
    from tlgan.generator import load_generator
    from tlgan.latent.cache import build_cache
    g = load_generator(GEN)

    def judge(seed):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 2))
        return wrap_extractor(net, ["a", "b"], [True, True], 8, 3)
    build_cache(g, judge(0), 32, tmp_path / "c", progress=False)
    with pytest.raises(UserError, match="other settings or models"):
        build_cache(g, judge(1), 32, tmp_path / "c", progress=False)  # same class, other weights: stale labels

    class Scaled(torch.nn.Module):  # the same weights, another plain attribute: other labels
        def __init__(self, net, scale):
            super().__init__()
            self.net, self.scale = net, scale

        def forward(self, x):
            return self.net(x) * self.scale
    base = judge(0)
    build_cache(g, wrap_extractor(Scaled(base, 1.0), ["a", "b"], [True, True], 8, 3), 32, tmp_path / "s",
                progress=False)
    with pytest.raises(UserError, match="other settings or models"):
        build_cache(g, wrap_extractor(Scaled(base, 3.0), ["a", "b"], [True, True], 8, 3), 32, tmp_path / "s",
                    progress=False)


def test_a_junk_pt2_generator_is_one_line(tmp_path):
    (tmp_path / "g.pt2").write_bytes(b"junk" * 100)
    (tmp_path / "g.json").write_text('{"z_dim": 8, "resolution": 16, "channels": 3}')
    _one_line_error(*run_cli("sample", str(tmp_path / "g.pt2"), "--n", "2", "--out", str(tmp_path / "s.png")),
                    "--trust-code")  # refused before the file is opened
    code, out, err = run_cli("--trust-code", "sample", str(tmp_path / "g.pt2"), "--n", "2", "--out",
                             str(tmp_path / "s.png"))
    _one_line_error(code, out, err.split("\n", 1)[1], "not a readable torch.export file")  # after the warning


def test_a_run_without_weights_names_the_file_it_lacks(tmp_path, tiny_run):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "generator.safetensors").unlink()
    _one_line_error(*run_cli("sample", str(run), "--n", "2", "--out", str(tmp_path / "s.png")),
                    "no generator.safetensors")


def test_an_unknown_generator_architecture_is_named(tmp_path, tiny_run):
    import json
    import shutil
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    cfg = json.loads((run / "config.json").read_text())
    cfg["generator"]["arch"] = "bogus"
    (run / "config.json").write_text(json.dumps(cfg))
    _one_line_error(*run_cli("sample", str(run), "--n", "2", "--out", str(tmp_path / "s.png")), "'bogus'")
