"""VAE through the one loop: the ELBO improves, reconstructions beat the mean image, the decoder is a generator."""
import pytest
import torch

from tlgan.data import load_data
from tlgan.errors import UserError
from tlgan.generator import load_generator
from tlgan.io import load_weights
from tlgan.training import make_config, train
from tlgan.training.vae import VAETrainer


@torch.no_grad()
def _held_out(trainer, x):
    trainer.g.eval()
    trainer.e.eval()
    t = trainer.elbo_terms(x, sample=False)
    return -(t["rec"] + t["kl"]).mean().item(), (t["recon"] - x).pow(2).mean().item()


def test_vae_learns_digits(tmp_path):
    cfg = make_config(dict(model="vae", data="digits", steps=400, batch_size=64, z_dim=16, width=16,
                         sample_every=400, ckpt_every=400))
    data, test = load_data("digits"), load_data("digits", split="test")
    x = test.batch(slice(None))
    before = _held_out(VAETrainer(cfg, data), x)
    run = train(cfg, tmp_path / "vae", data=data, progress=False, log=lambda *_: None)
    trained = VAETrainer(cfg, data)
    for name, net in trained.nets().items():
        load_weights(net, run / "state" / f"{name}.safetensors")
    elbo, mse = _held_out(trained, x)
    mean_mse = (x - data.batch(slice(None)).mean(0)).pow(2).mean().item()
    assert elbo > before[0] + 100  # nats per image on held-out digits
    assert mse < 0.5 * mean_mse    # reconstructions beat the dataset-mean image by a margin
    g = load_generator(run)        # the decoder, sampled from the prior, is a TL-GAN generator
    _, imgs = g.sample(8, seed=0)
    assert imgs.shape == (8, 1, 32, 32) and imgs.abs().max() <= 1


def test_vae_config_errors():
    with pytest.raises(UserError, match="vae_decoder"):
        make_config(dict(model="vae", vae_decoder="poisson"))
    with pytest.raises(UserError, match="ema"):
        make_config(dict(model="vae", ema=0.999))
