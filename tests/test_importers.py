"""NVIDIA checkpoints: read without running anything, the exact StyleGAN2 port, bad files refused in one line, and
TL-GAN end to end on an imported snapshot.

The fixtures (tests/fixtures/nvidia) are snapshots NVIDIA's own stylegan2-ada-pytorch wrote, re-written by tlgan's
writer with their module_src emptied, beside the reference code's ws and images for fixed z, c and ψ
(scripts/nvidia_fixtures.py makes them; docs/nvidia_exactness.json holds the max |Δ| measured there)."""
import base64
import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli

from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.importers import import_checkpoint, load_nvidia, read_nvidia
from tlgan.importers.unpickle import PersistentRecord, TFNetworkRecord, UnsafeCheckpoint, safe_load
from tlgan.importers.writer import dumps

FIXTURES = Path(__file__).parent / "fixtures" / "nvidia"
NAMES = ("sg2_32_map8", "sg2ada_64_map2_fp16", "sg2ada_32_cond", "sg2tf_32")  # the last: a StyleGAN2-TF file


def _settings(name: str) -> dict:
    return json.loads((FIXTURES / name / "settings.json").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_the_port_draws_what_nvidias_code_drew(name):
    """Same z, c, ψ (noise const) -> the reference's ws and images within 1e-5 / 1e-4 (measured: identical)."""
    s = _settings(name)
    net, ckpt = load_nvidia(FIXTURES / f"{name}.pkl", s["psi"], s["cutoff"], s["c"], quiet=True)
    z = torch.from_numpy(np.load(FIXTURES / name / "z.npy"))
    with torch.no_grad():
        ws, img = net.map_plus(z), net(z)
    ref_img, ref_ws = np.load(FIXTURES / name / "img.npy"), np.load(FIXTURES / name / "ws.npy")
    assert np.abs(ws.numpy() - ref_ws).max() <= 1e-5
    assert np.abs(img.numpy() - ref_img).max() <= 1e-4 and np.abs(ref_img).max() > 0.5  # not a blank image
    if "static_kwargs" in s["init_kwargs"]:  # TensorFlow: the reference is NVIDIA's converter (legacy.py) + G
        assert ckpt.arch == "stylegan2_nv" and ckpt.kwargs["img_resolution"] == 32
    else:
        assert ckpt.kwargs == s["init_kwargs"] and ckpt.source == "G_ema"


def test_import_writes_a_run_that_opens_in_z_w_and_w_plus(tmp_path, capsys):
    name = "sg2ada_64_map2_fp16"
    s = _settings(name)
    run = import_checkpoint(FIXTURES / f"{name}.pkl", tmp_path / "run", s["psi"], s["cutoff"])
    assert "without executing" in capsys.readouterr().err  # loading says plainly how the pickle was read
    card = (run / "README.md").read_text()
    assert "SHA-256" in card and "licence" in card
    g = load_generator(run)
    z = torch.from_numpy(np.load(FIXTURES / name / "z.npy"))
    with torch.no_grad():
        img = g(z)
        assert np.abs(img.numpy() - np.load(FIXTURES / name / "img.npy")).max() <= 1e-4
        gw, gp = load_generator(f"{run}@w"), load_generator(f"{run}@w+")
        assert gw.z_dim == 32 and gp.z_dim == 32 * g.net.n_ws
        assert torch.allclose(gp(gp.prior(z)), img, atol=1e-5)  # W+ keeps the per-layer truncation cutoff
        assert gw(gw.prior(z)).shape == img.shape
        direct = load_generator(FIXTURES / f"{name}.pkl")  # the .pkl itself, ψ = 1
        assert direct.content_hash != g.content_hash and direct(z).shape == img.shape


def test_sefa_reads_the_style_affines_of_an_nvidia_generator(tmp_path):
    """SeFa in W / W+ of an imported StyleGAN2 (it stopped with an AttributeError): ``style_weights(j, j)`` is the
    weight of the convolutions' style affine that reads ws[j] — found here by running the synthesis on distinct
    per-layer styles — and of the last ToRGB's for the last entry, which no convolution reads."""
    from tlgan.latent.directions import fit_sefa
    from tlgan.models.stylegan2_nv import SynthesisLayer, ToRGB
    net, _ = load_nvidia(FIXTURES / "sg2ada_64_map2_fp16.pkl", quiet=True)
    ws = torch.randn(2, net.n_ws, net.w_dim)
    readers = {}   # ws index -> the affines that read it, by kind
    hooks = [m.affine.register_forward_hook(
        lambda mod, inp, out, kind=type(m).__name__: readers.setdefault(
            next(j for j in range(net.n_ws) if torch.equal(inp[0], ws[:, j])), {}).setdefault(kind, []).append(mod))
        for m in net.modules() if isinstance(m, SynthesisLayer | ToRGB)]
    with torch.no_grad():
        net.synthesis(ws)
    for h in hooks:
        h.remove()
    assert sorted(readers) == list(range(net.n_ws))
    for j, kinds in readers.items():
        affines = kinds.get("SynthesisLayer") or kinds["ToRGB"]
        assert torch.equal(net.style_weights(j, j), torch.cat([a.weight * a.weight_gain for a in affines]).detach())
    run = import_checkpoint(FIXTURES / "sg2ada_64_map2_fp16.pkl", tmp_path / "run")
    for space, layers in (("w", None), ("w+", (0, 2))):
        axes = fit_sefa(load_generator(f"{run}@{space}"), k=3, layers=layers)
        assert axes.vectors.shape == (3, net.w_dim * (net.n_ws if space == "w+" else 1))


def test_a_conditional_model_needs_its_class():
    with pytest.raises(UserError, match="--class"):
        load_nvidia(FIXTURES / "sg2ada_32_cond.pkl", quiet=True)
    a, _ = load_nvidia(FIXTURES / "sg2ada_32_cond.pkl", class_index=0, quiet=True)
    b, _ = load_nvidia(FIXTURES / "sg2ada_32_cond.pkl", class_index=3, quiet=True)
    z = torch.randn(2, 16)
    assert not torch.allclose(a(z), b(z))


def _one_line(code, err, *words):
    assert code == 2 and err.startswith("error:") and err.strip().count("\n") == 0, err
    for w in words:
        assert w in err, err


def test_bad_files_and_settings_are_one_line_errors(tmp_path):
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    _one_line(*run_cli("import", str(junk), "--out", str(tmp_path / "a"))[::2], "not an NVIDIA StyleGAN2 snapshot")
    cut = tmp_path / "cut.pkl"
    cut.write_bytes((FIXTURES / "sg2_32_map8.pkl").read_bytes()[:5000])
    _one_line(*run_cli("import", str(cut), "--out", str(tmp_path / "b"))[::2], "truncated")
    _one_line(*run_cli("import", str(FIXTURES / "sg2ada_32_cond.pkl"), "--out", str(tmp_path / "c"))[::2], "--class")
    _one_line(*run_cli("import", str(FIXTURES / "sg2_32_map8.pkl"), "--out", str(tmp_path / "d"),
                           "--truncation", "2.5")[::2], "[0, 2]")
    _one_line(*run_cli("sample", f"{FIXTURES / 'sg2_32_map8.pkl'}@psi=x", "--out", str(tmp_path / "e.png"))[::2],
              "psi")
    archive = tmp_path / "state.pkl"
    torch.save({"w": torch.zeros(2)}, archive)
    _one_line(*run_cli("import", str(archive), "--out", str(tmp_path / "f"))[::2], "torch.save archive")
    assert not any((tmp_path / d).exists() for d in "abcdf")


def test_stylegan3_is_refused_as_not_supported():
    g = safe_load(FIXTURES / "sg2_32_map8.pkl")["G_ema"]
    g.state["_modules"]["synthesis"].state["_modules"]["input"] = g.state["_modules"]["synthesis"]
    path = Path(__import__("tempfile").mkdtemp()) / "sg3.pkl"
    path.write_bytes(dumps({"G_ema": g}))
    with pytest.raises(UserError, match="StyleGAN3"):
        read_nvidia(path)


class _Payload:
    """An object whose unpickling would run a shell command (the classic pickle attack)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        import os
        return os.system, (f"touch {self.marker}",)


def test_nothing_in_a_malicious_pickle_runs(tmp_path):
    """module_src that writes a file, globals os.system / builtins.eval, a __reduce__ payload deep in a module's
    state, a TF network with a malformed variables list: each read or refused without anything running."""
    marker = tmp_path / "ran"
    # 1. a valid snapshot whose stored source would write the marker when exec'd (as NVIDIA's loader does)
    g = safe_load(FIXTURES / "sg2_32_map8.pkl")["G_ema"]
    g.module_src = f"open({str(marker)!r}, 'w').write('pwned')\nimport os\nos.system('touch {marker}')\n"
    evil_src = tmp_path / "src.pkl"
    evil_src.write_bytes(dumps({"G_ema": g}))
    net, _ = load_nvidia(evil_src, quiet=True)
    assert net(torch.randn(1, 32)).shape == (1, 3, 32, 32) and not marker.exists()
    # 2. globals a checkpoint never names
    for module, name in (("os", "system"), ("posix", "system"), ("builtins", "eval"), ("subprocess", "call")):
        p = tmp_path / f"{name}.pkl"
        p.write_bytes(f"c{module}\n{name}\n(S'touch {marker}'\ntR.".encode())
        with pytest.raises(UnsafeCheckpoint, match=f"{module}.{name}"):
            safe_load(p)
        code, _, err = run_cli("import", str(p), "--out", str(tmp_path / "x"))
        _one_line(code, err, f"{module}.{name}", "refused")
    # 3. a __reduce__ payload nested in a module's state
    g = safe_load(FIXTURES / "sg2_32_map8.pkl")["G_ema"]
    g.state["_modules"]["mapping"].state["payload"] = {"deep": [_Payload(marker)]}
    nested = tmp_path / "nested.pkl"
    nested.write_bytes(dumps({"G_ema": g}))
    with pytest.raises(UnsafeCheckpoint, match="system"):
        safe_load(nested)
    # 4. a TensorFlow-era network whose variables list is malformed
    tf = TFNetworkRecord()
    tf.__setstate__({"version": 3, "name": "G", "variables": "not a list", "build_module_src": f"open('{marker}','w')"})
    tf_path = tmp_path / "tf.pkl"
    tf_path.write_bytes(pickle.dumps((tf, tf, tf), protocol=2).replace(b"tlgan.importers.unpickle\nTFNetworkRecord",
                                                          b"tfutil\nNetwork"))
    _one_line(*run_cli("import", str(tf_path), "--out", str(tmp_path / "y"))[::2], "TensorFlow")
    assert not marker.exists() and not (tmp_path / "x").exists()
    assert isinstance(safe_load(tf_path)[0], TFNetworkRecord)


def test_a_persistent_record_needs_its_parts():
    with pytest.raises(UnsafeCheckpoint):
        PersistentRecord({"class_name": "Generator"})


def test_tlgan_end_to_end_on_an_imported_snapshot(tmp_path):
    """import -> axes sample (W and W+) -> axes fit -> edit -> the editor renders -> invert, with the shipped 32-px
    extractor reading the imported generator's images."""
    from fastapi.testclient import TestClient
    from PIL import Image

    from tlgan.pretrained import default_paths
    from tlgan.serve.app import load_app
    ext = str(default_paths()["extractor"])
    run = tmp_path / "run"
    steps = [("import", str(FIXTURES / "sg2_32_map8.pkl"), "--out", str(run), "--truncation", "0.7")]
    for space in ("@w", "@w+"):
        cache, axes = tmp_path / f"cache{space}", tmp_path / f"axes{space}"
        steps += [("axes", "sample", "--generator", f"{run}{space}", "--features", ext, "--n", "300",
                   "--out", str(cache)),
                  ("axes", "fit", str(cache), "--method", "glm", "--out", str(axes)),
                  ("edit", "--generator", f"{run}{space}", "--axes", str(axes), "--set", "Smiling=1",
                   "--out", str(tmp_path / f"edit{space}.png"))]
    steps.append(("invert", "images", str(tmp_path / "edit@w.png"), "--generator", str(run), "--method", "opt",
                  "--steps", "5", "--out", str(tmp_path / "inv")))
    for args in steps:
        code, _, err = run_cli(*args)
        assert code == 0, (args[:2], err[-600:])
    assert Image.open(tmp_path / "edit@w+.png").size[0] > 0 and list((tmp_path / "inv").glob("*.npy"))
    client = TestClient(load_app(f"{run}@w", str(tmp_path / "axes@w"), ext), base_url="http://127.0.0.1")
    z = client.post("/api/latent", json={"seed": 1}).json()["z"]
    png = client.post("/api/render", json={"z": z}).json()["image"].split(",", 1)[1]
    assert Image.open(io.BytesIO(base64.b64decode(png))).size == (32, 32)


# -- pg-GAN (TensorFlow pickles) --------------------------------------------------------------------------------
def _pggan_variables(seed: int = 0, lod: float = 0.0) -> dict:
    """A 3-level pg-GAN (4, 8, 16 px; 16-dim latents; 16, 16, 8 feature maps) in TensorFlow's layout, random."""
    rng = np.random.default_rng(seed)
    shapes = {"4x4/Dense/weight": (16, 256), "4x4/Dense/bias": (16,), "4x4/Conv/weight": (3, 3, 16, 16),
              "4x4/Conv/bias": (16,), "8x8/Conv0_up/weight": (3, 3, 16, 16), "8x8/Conv0_up/bias": (16,),
              "8x8/Conv1/weight": (3, 3, 16, 16), "8x8/Conv1/bias": (16,), "16x16/Conv0_up/weight": (3, 3, 8, 16),
              "16x16/Conv0_up/bias": (8,), "16x16/Conv1/weight": (3, 3, 8, 8), "16x16/Conv1/bias": (8,),
              "ToRGB_lod2/weight": (1, 1, 16, 3), "ToRGB_lod2/bias": (3,), "ToRGB_lod1/weight": (1, 1, 16, 3),
              "ToRGB_lod1/bias": (3,), "ToRGB_lod0/weight": (1, 1, 8, 3), "ToRGB_lod0/bias": (3,)}
    v = {k: rng.standard_normal(s).astype(np.float32) * (0.3 if k.endswith("bias") else 1.0) for k, s in shapes.items()}
    v["lod"] = np.float32(lod)
    return v


def _np_forward(v: dict, z: np.ndarray, lod: float) -> np.ndarray:
    """pg-GAN's G_paper written out by hand in NumPy, conv by conv: the test's independent reference."""
    def pn(x):
        return x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True) + 1e-8)

    def post(x, b):
        x = x + b.reshape(1, -1, 1, 1)
        return pn(np.maximum(0.2 * x, x))

    def conv(x, w, gain=np.sqrt(2)):  # SAME correlation, w [k, k, in, out]
        k, cin = w.shape[0], w.shape[2]
        w = w * gain / np.sqrt(k * k * cin)
        p, (_, _, h, wd) = k // 2, x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        return sum(np.einsum("nchw,co->nohw", xp[:, :, a:a + h, b:b + wd], w[a, b]) for a in range(k) for b in range(k))

    def up_conv(x, w):  # w [k, k, out, in]; 4x4 kernel from the four shifts; TF conv2d_transpose, stride 2, SAME
        k, cin = w.shape[0], w.shape[3]
        w = np.pad(w * np.sqrt(2) / np.sqrt(k * k * cin), ((1, 1), (1, 1), (0, 0), (0, 0)))
        kk = w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]
        n, _, h, wd = x.shape
        buf = np.zeros((n, kk.shape[2], 2 * h + 2, 2 * wd + 2))  # out[2i + a - 1] += x[i] K[a], shifted by one
        for a in range(4):
            for b in range(4):
                buf[:, :, a:a + 2 * h:2, b:b + 2 * wd:2] += np.einsum("nchw,oc->nohw", x, kk[a, b])
        return buf[:, :, 1:2 * h + 1, 1:2 * wd + 1]

    def up(x):
        return x.repeat(2, 2).repeat(2, 3)

    x = pn(z.astype(np.float64))
    dense = v["4x4/Dense/weight"] * (np.sqrt(2) / 4) / np.sqrt(16)
    x = post((x @ dense).reshape(len(z), 16, 4, 4), v["4x4/Dense/bias"])
    x = post(conv(x, v["4x4/Conv/weight"]), v["4x4/Conv/bias"])
    rgb = lambda x, lod_: conv(x, v[f"ToRGB_lod{lod_}/weight"], 1.0) + v[f"ToRGB_lod{lod_}/bias"].reshape(1, -1, 1, 1)  # noqa: E731
    images = rgb(x, 2)
    for res, level in (("8x8", 1), ("16x16", 0)):
        x = post(up_conv(x, v[f"{res}/Conv0_up/weight"]), v[f"{res}/Conv0_up/bias"])
        x = post(conv(x, v[f"{res}/Conv1/weight"]), v[f"{res}/Conv1/bias"])
        img = rgb(x, level)
        images = img + (up(images) - img) * np.clip(lod - level, 0, 1)  # lerp_clip(img, upscaled, lod - level)
    return images


def _pggan_pickle(path: Path, v: dict) -> Path:
    nets = []
    for name in ("G", "D", "Gs"):
        rec = TFNetworkRecord()
        rec.__setstate__({"version": 2, "name": name, "build_func_name": "G_paper", "build_module_src": "",
                          "static_kwargs": {"num_channels": 3, "resolution": 16, "label_size": 0,
                                            "fmap_base": 64, "fmap_max": 16},
                          "variables": list(v.items())})
        nets.append(rec)
    path.write_bytes(dumps(tuple(nets)))
    return path


@pytest.mark.parametrize("lod", [0.0, 0.5, 1.5])
def test_the_pggan_port_matches_a_hand_written_forward(tmp_path, lod):
    """A pg-GAN TensorFlow pickle (3 levels, fused up-convolutions) read without running it; the port against the
    NumPy forward above, including the lod blend between levels."""
    v = _pggan_variables(lod=lod)
    pkl = _pggan_pickle(tmp_path / "pggan.pkl", v)
    net, ckpt = load_nvidia(pkl, quiet=True)
    assert ckpt.arch == "pggan_nv" and ckpt.source == "Gs" and net.lod == lod
    z = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    with torch.no_grad():
        out = net(torch.from_numpy(z)).numpy()
    ref = _np_forward(v, z, lod)
    assert np.abs(out - ref).max() <= 1e-4 * max(1.0, np.abs(ref).max())
    if lod == 1.5:  # halfway between the 4- and 8-px levels: the top level does not show; blocks of 2x2 equal
        assert np.allclose(out[:, :, ::2, ::2], out[:, :, 1::2, 1::2], atol=1e-5)
    run = import_checkpoint(pkl, tmp_path / "run")
    with torch.no_grad():
        assert np.abs(load_generator(run)(torch.from_numpy(z)).numpy() - out).max() <= 1e-6


def test_sefa_and_ganspace_find_directions_in_an_imported_pggan(tmp_path):
    """TL-GAN's own generator family, imported: SeFa's matrix is the dense layer's effective weight (its output, read
    at the ``dense`` module GANSpace hooks, is the pixel-normalised latent times it), and both methods run in Z
    (they stopped with "no linear layer reading its latent")."""
    from tlgan.latent.directions import fit_ganspace, fit_sefa
    run = import_checkpoint(_pggan_pickle(tmp_path / "pggan.pkl", _pggan_variables()), tmp_path / "run")
    g = load_generator(run)
    name, a = g.net.latent_weight()
    seen = []
    hook = dict(g.net.named_modules())[name].register_forward_hook(lambda m, i, o: seen.append(o))
    z = torch.randn(5, 16)
    with torch.no_grad():
        g.net(z)
    hook.remove()
    pz = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
    assert a.shape == (256, 16) and torch.allclose(seen[0], pz @ a.T, atol=1e-5)
    for axes in (fit_sefa(g, k=3), fit_ganspace(g, k=3, n=400, progress=False)):
        assert axes.vectors.shape == (3, 16) and np.allclose(np.linalg.norm(axes.vectors, axis=1), 1, atol=1e-5)


def test_a_pggan_file_with_a_missing_variable_is_one_line(tmp_path):
    v = _pggan_variables()
    del v["8x8/Conv1/weight"]
    pkl = _pggan_pickle(tmp_path / "bad.pkl", v)
    _one_line(*run_cli("import", str(pkl), "--out", str(tmp_path / "run"))[::2], "8x8/Conv1/weight")
