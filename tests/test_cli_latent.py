"""The TL-GAN commands on the shipped model, and their one-line errors for bad input."""
import json

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from tlgan.errors import UserError
from tlgan.latent.axes import Axes
from tlgan.pretrained import default_paths


def test_edit_and_sweep_write_images(tmp_path):
    code, _, err = run_cli("edit", "--seed", "1", "--set", "Smiling=1.5", "--set", "No_Beard=2", "--lock", "Male",
                           "--keep-norm", "--out", str(tmp_path / "e.png"))
    assert code == 0, err
    code, out, err = run_cli("edit", "--seed", "0", "--n", "2", "--sweep", "Smiling=-3:3:5",
                             "--out", str(tmp_path / "s.png"))
    assert code == 0, err
    img = np.asarray(Image.open(tmp_path / "s.png").convert("L"))
    h, w = img.shape
    assert w > h  # 5 columns x 2 rows
    strip = img[:30]  # the caption strip: white paper with dark text (title, then λ over each column)
    assert (strip > 240).mean() > 0.7 and (strip < 100).any()
    margin = img[40:, :40]  # left of the faces: each row's seed ("seed 0", "seed 1") on white paper
    assert (margin > 240).mean() > 0.8 and (margin[: h // 2] < 100).any() and (margin[h // 2:] < 100).any()
    assert "read-out" in out and "Smiling" in out.split("read-out")[1]


def test_sweep_animation_walks_forth_and_back_beside_the_original(tmp_path):
    code, out, err = run_cli("edit", "--seed", "3", "--sweep", "Smiling=-2:2:5", "--lock", "Male",
                             "--out", str(tmp_path / "s.webp"))
    assert code == 0, err
    anim = Image.open(tmp_path / "s.webp")
    assert anim.n_frames == 8  # λ -2, -1, 0, 1, 2, then 1, 0, -1 back
    frames = []
    for i in range(anim.n_frames):
        anim.seek(i)
        frames.append(np.asarray(anim.convert("RGB")))
    k = frames[0].shape[1] // 134  # one row of two 64-px faces with 2-px gaps, upscaled k times
    faces = [f[-68 * k:] for f in frames]  # below the caption
    left, right = ([f[:, 2 * k:66 * k] for f in faces], [f[:, 68 * k:132 * k] for f in faces])
    assert all(np.array_equal(left[0], x) for x in left)  # the original stays
    assert np.array_equal(right[2], left[0]) and np.array_equal(right[6], left[0])  # λ = 0 is the original
    assert np.array_equal(right[1], right[7]) and np.abs(right[0].astype(int) - right[4]).mean() > 10
    assert "Smiling" in out.split("read-out")[1]
    code, _, err = run_cli("edit", "--set", "Smiling=1", "--out", str(tmp_path / "e.gif"))
    assert code == 2 and "--sweep" in err and len(err.strip().splitlines()) == 1


def test_generate_meets_the_request_more_often_than_chance(tmp_path):
    code, out, err = run_cli("generate", "--want", "Eyeglasses=1,Smiling=1", "--n", "8", "--out", str(tmp_path / "g"))
    assert code == 0, err
    stats = json.loads((tmp_path / "g" / "request.json").read_text())
    assert stats["accepted"] >= 8 and len(list((tmp_path / "g").glob("0*.png"))) == 8
    assert stats["rate"] > 3 * stats["base_rate"], stats  # editing along the axes, not lucky sampling
    assert "met the request" in out
    # the folder is labelled training data: the extractor's reading, which met the request on every image
    from tlgan.data import load_data
    data = load_data(f"folder:{tmp_path / 'g'}", 64)
    assert len(data) == 8 and data.binary[data.label_names.index("Eyeglasses")]
    assert (data.labels[:, [data.label_names.index(a) for a in ("Eyeglasses", "Smiling")]] == 1).all()


@pytest.mark.parametrize("args,expect", [
    (["edit", "--set", "Smiling=nan"], "finite"),
    (["edit", "--set", "Smiling=inf"], "finite"),
    (["edit", "--set", "Not_An_Attribute=1"], "unknown axis"),
    (["edit", "--set", "Smiling=1", "--lock", "Nope"], "unknown axis"),
    (["edit", "--sweep", "Smiling=-3:3"], "START:STOP:COUNT"),
    (["generate", "--want", "Smiling=0.5", "--n", "2"], "binary attribute takes 0 or 1"),
    (["edit", "--want", "Smiling=1", "--set", "Male=1"], "not both"),
    (["edit", "--want", "Smiling=1", "--keep-norm"], "does not combine"),
    (["edit", "--want", "Smiling=2"], "binary attribute takes 0 or 1"),
    (["edit", "--want", "Smiling=1", "--lock", "Nope"], "unknown axis"),
    (["generate", "--want", "Smiling=1", "--n", "10000000"], "--n must be at most 10,000 for this 64-px generator"),
])
def test_bad_edits_are_one_line_errors(tmp_path, args, expect):
    extra = ["--out", str(tmp_path / "x")] if args[0] == "generate" else ["--out", str(tmp_path / "x.png")]
    code, _, err = run_cli(*args, *extra)
    assert code == 2 and expect in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1


def test_axes_for_another_latent_size_or_generator_are_refused(tmp_path):
    axes = Axes.load(default_paths()["axes"]).subset(["Smiling", "Male"])
    axes.vectors = np.eye(16, dtype=np.float32)[:2]
    axes.save(tmp_path / "axes16")
    gen = str(default_paths()["generator"])
    code, _, err = run_cli("edit", "--generator", gen, "--axes", str(tmp_path / "axes16"), "--set", "Smiling=1",
                           "--out", str(tmp_path / "x.png"))
    assert code == 2 and "16-d latent space" in err, err
    run = tmp_path / "other"
    code, _, err = run_cli("train", "dcgan", "--data", "digits", "--resolution", "32", "--steps", "1",
                           "--out", str(run))
    assert code == 0, err
    code, _, err = run_cli("edit", "--generator", str(run), "--axes", str(default_paths()["axes"]), "--set",
                           "Smiling=1", "--out", str(tmp_path / "x.png"))
    assert code == 2 and "fitted on generator" in err, err
    code, _, err = run_cli("axes", "sample", "--generator", str(run), "--features", str(default_paths()["extractor"]),
                           "--n", "8", "--out", str(tmp_path / "cache"))
    assert code == 2 and "1-channel" in err, err


def test_cache_of_another_generator_is_refused(tmp_path):
    p = default_paths()
    cache = tmp_path / "cache"
    code, _, err = run_cli("axes", "sample", "--generator", str(p["generator"]), "--features", str(p["extractor"]),
                           "--n", "64", "--batch", "32", "--out", str(cache))
    assert code == 0, err
    meta = json.loads((cache / "meta.json").read_text())
    meta["generator_hash"] = "0123456789abcdef"  # as if another generator had built it
    (cache / "meta.json").write_text(json.dumps(meta))
    code, _, err = run_cli("axes", "sample", "--generator", str(p["generator"]), "--features", str(p["extractor"]),
                           "--n", "64", "--batch", "32", "--out", str(cache))
    assert code == 2 and "other settings or models" in err, err
    code, _, err = run_cli("axes", "fit", str(cache), "--out", str(tmp_path / "axes"))
    assert code == 0 and (tmp_path / "axes" / "cosine.png").exists(), err
    code, _, err = run_cli("edit", "--generator", str(p["generator"]), "--axes", str(tmp_path / "axes"),
                           "--set", "Smiling=1", "--out", str(tmp_path / "x.png"))
    assert code == 2 and "fitted on generator 0123456789abcdef" in err, err


def test_interfacegan_boundary_export_import_via_cli(tmp_path):
    import shutil
    axes_dir = tmp_path / "axes"
    shutil.copytree(default_paths()["axes"], axes_dir)
    code, _, err = run_cli("axes", "export", "--axes", str(axes_dir), "--name", "Smiling",
                           "--out", str(tmp_path / "s.npy"))
    assert code == 0, err
    assert np.load(tmp_path / "s.npy").shape == (1, 100)
    code, _, err = run_cli("axes", "import", str(tmp_path / "s.npy"), "--axes", str(axes_dir), "--name", "Smile2")
    assert code == 0, err
    axes = Axes.load(axes_dir)
    assert np.allclose(axes.vector("Smile2"), axes.vector("Smiling"), atol=1e-6)
    code, _, err = run_cli("axes", "import", str(tmp_path / "s.npy"), "--axes", str(axes_dir), "--name", "Smile2")
    assert code == 2 and "already exists" in err


def test_evaluate_axes_reports_bootstrap_intervals(tmp_path):
    import json
    code, _, err = run_cli("evaluate", "axes", "--n", "48", "--reference", "Male,Young", "--json",
                           str(tmp_path / "e.json"))
    assert code == 0, err
    res = json.loads((tmp_path / "e.json").read_text())
    smile = res["raw"]["Smiling"]
    assert res["references"] == ["Male", "Young"]  # a comma list names two references
    lo, hi = smile["ci"]["controllability"]
    assert lo <= smile["controllability"] <= hi and hi > lo
    lo, hi = smile["ci"]["leakage_ratio"]["Male"]
    assert lo <= smile["leakage_ratio"]["Male"] <= hi
    assert "[" in (tmp_path / "e.md").read_text()


def test_generate_is_graded_by_the_judge_and_lock_keeps_correlates_at_their_rates(tmp_path):
    """Glasses come with age and sex in the data: unlocked, the written set drifts male (by the independent judge);
    --lock Male,Young cuts that drift by more than a quarter (at the default --confidence 0.9, which edits further;
    at 0.5 the cut is larger: the README's table). The lock does not hold every correlate (Young's drift, small
    unlocked, grows with the lock on the shipped model: the written set is only the faces the extractor accepts), so
    the test asserts the Male claim the README makes, not a Young one."""
    shift = {}
    for tag, extra in (("free", []), ("locked", ["--lock", "Male,Young"])):
        code, out, err = run_cli("generate", "--want", "Eyeglasses=1", "--n", "100", "--out", str(tmp_path / tag),
                                 *extra)
        assert code == 0, err
        assert "by the independent judge" in out
        r = json.loads((tmp_path / tag / "request.json").read_text())
        assert r["judge_rate"] > 3 * r["judge_base_rate"]  # the judge agrees the request was met far above chance
        shift[tag] = {k: abs(r["other_attribute_rates"][k]["written"] - r["other_attribute_rates"][k]["unedited"])
                      for k in ("Male", "Young")}
    assert shift["free"]["Male"] > 0.3
    assert shift["locked"]["Male"] < 0.75 * shift["free"]["Male"], shift


def test_generate_confidence_makes_the_judge_agree_more_often():
    """Stopping an edit where the extractor's decision just flips leaves faces the independent judge reads the other
    way; asking the extractor for probability 0.9 (the default) edits further, and the judge agrees on clearly more
    of the written set than at the plain decision (0.5), for a rare attribute (Eyeglasses) and a common one's
    absence (Smiling=0)."""
    from tlgan.extractors import load_extractor
    from tlgan.latent.edit import generate_wanted, request_met
    from tlgan.pretrained import default_paths, resolve_models
    m, judge = resolve_models(), load_extractor(default_paths()["judge"])
    for want, gain in (({"Eyeglasses": 1.0}, 0.1), ({"Smiling": 0.0}, 0.0)):
        met = {}
        for confidence in (0.5, 0.9):
            _, x, _ = generate_wanted(m.generator, m.extractor, m.axes, want, 100, 3, confidence=confidence)
            assert len(x) == 100
            met[confidence] = request_met(judge, m.generator.to_signed(x), want)
        assert met[0.9] > met[0.5] + gain, (want, met)
    with pytest.raises(UserError, match="confidence"):
        generate_wanted(m.generator, m.extractor, m.axes, {"Smiling": 1.0}, 4, confidence=1.0)


def test_edit_want_moves_each_face_just_far_enough_and_works_more_often_than_a_fixed_edit(tmp_path):
    """`tlgan edit --want Smiling=1 --lock Male` walks each face until the extractor reads a smile: faces that already
    smile stay as they are, no face moves past --max-lambda, and on 100 seeds nobody chose the independent judge
    sees the request met with the lock kept on clearly more faces than after the fixed Smiling +1.5 (Male locked)."""
    import torch

    from tlgan.extractors import label_images, load_extractor, predict_labels
    from tlgan.latent.edit import edit_latents, walk_until_seen
    from tlgan.pretrained import resolve_models
    m, judge = resolve_models(), load_extractor(default_paths()["judge"])
    g, ax, ex = m.generator, m.axes, m.extractor
    z = torch.cat([g.latents(1, seed=s) for s in range(100)])
    z1, walked, met = walk_until_seen(g, ex, ax, z, {"Smiling": 1.0}, ["Male"], max_lambda=3.0)
    smile = ex.label_names.index("Smiling")
    p0, p1 = (label_images(g, ex, v, probabilities=True)[:, smile] for v in (z, z1))
    assert torch.equal(z1[p0 > 0.9], z[p0 > 0.9]) and (walked[p0 > 0.9] == 0).all()
    assert (walked.abs() <= 3.0 + 1e-6).all() and (walked[~met].abs() > 2.5).all()  # the unmet ran out of road
    assert (p1[met] > 0.9).all() and met.float().mean() > 0.6

    def works(zz):
        before, after = (predict_labels(judge, g.to_signed(g(v)), probabilities=True) for v in (z, zz))
        j, k = judge.label_names.index("Smiling"), judge.label_names.index("Male")
        return float(((after[:, j] > 0.5) & ((after[:, k] > 0.5) == (before[:, k] > 0.5))).float().mean())

    with torch.no_grad():
        fixed = works(edit_latents(z, ax, {"Smiling": 1.5}, lock=["Male"]))
        walked_rate = works(walk_until_seen(g, ex, ax, z, {"Smiling": 1.0}, ["Male"])[0])
    assert walked_rate > fixed + 0.1, (walked_rate, fixed)
    code, out, err = run_cli("edit", "--seed", "0", "--n", "4", "--want", "Smiling=1", "--lock", "Male",
                             "--out", str(tmp_path / "w.png"), "--save-latents", str(tmp_path / "w"))
    assert code == 0 and (tmp_path / "w.png").exists(), err
    assert "λ walked along Smiling: mean" in out and "the extractor reads the request on" in out
    assert np.allclose(np.load(tmp_path / "w.npy"), walk_until_seen(g, ex, ax, z[:4], {"Smiling": 1.0}, ["Male"])[0])
