"""GAN anomaly detection: AnoGAN, EGBAD, GANomaly and f-AnoGAN behind one API (see ``detector``)."""
