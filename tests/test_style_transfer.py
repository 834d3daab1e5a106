"""Neural style transfer: a stripe texture's style onto a flat shape, on the fixed random-weight network."""
import numpy as np
import torch
from conftest import run_cli
from PIL import Image

from tlgan.neural_style import StyleLoss, feature_net, transfer


def _toy() -> tuple[torch.Tensor, torch.Tensor]:
    """(content: a flat light square on black, style: horizontal stripes 4 px wide), (1, 3, 32, 32) in [-1, 1]."""
    rows = torch.arange(32)[:, None].expand(32, 32)
    stripes = ((rows // 4) % 2).float()[None, None].expand(1, 3, 32, 32) * 2 - 1
    square = -torch.ones(1, 3, 32, 32)
    square[:, :, 8:24, 8:24] = 0.6
    return square, stripes


def test_style_loss_falls_tenfold_while_the_content_layer_stays_nearer_the_content():
    content, style = _toy()
    net = feature_net("random", 3)
    loss = StyleLoss(net, content, style)
    x, trace = transfer(loss, steps=200, progress=False)
    assert trace[0]["style"] / trace[-1]["style"] >= 10
    layer = loss.content_layer
    with torch.no_grad():
        got = net(x, {layer})[layer]
        to_content = (got - loss.target_content).pow(2).mean()
        to_style = (got - net(style, {layer})[layer]).pow(2).mean()
    assert to_content < to_style
    assert (x - content).abs().mean() > 0.1  # the pixels did change


def test_cli_writes_the_result_and_refuses_mixed_channels(tmp_path):
    content, style = _toy()
    for name, img in (("c.png", content), ("s.png", style)):
        Image.fromarray(((img[0].permute(1, 2, 0) + 1) * 127.5).byte().numpy()).save(tmp_path / name)
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "grey.png")
    rc, out, err = run_cli("style-transfer", "--content", str(tmp_path / "c.png"), "--style", str(tmp_path / "s.png"),
                           "--size", "32", "--steps", "20", "--out", str(tmp_path / "o.png"))
    assert rc == 0, err
    assert Image.open(tmp_path / "o.png").size == (32, 32) and "lower" in out
    for args, message in [(["--style", str(tmp_path / "grey.png")], "3 channel(s) and"),
                          (["--style", str(tmp_path / "s.png"), "--content-layer", "relu9_1"], "unknown layer"),
                          (["--style", str(tmp_path / "s.png"), "--net", "fashion"], "reads 1-channel images")]:
        rc, _, err = run_cli("style-transfer", "--content", str(tmp_path / "c.png"), *args, "--steps", "1",
                             "--out", str(tmp_path / "x.png"))
        assert rc == 2 and message in err and len(err.strip().splitlines()) == 1, err
