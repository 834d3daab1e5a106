"""Write NVIDIA-format pickles from what :func:`tlgan.importers.unpickle.safe_load` read (for test fixtures):
the same structure and globals as stylegan2-ada-pytorch's snapshots (every ``module_src`` emptied) and pg-GAN's
``tfutil.Network`` tuples."""
from __future__ import annotations

import io
import pickle

from .unpickle import EasyDictRecord, PersistentRecord, TFNetworkRecord


class _Global:
    """A global by name, written as a GLOBAL opcode without importing it."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # never called: pickle only checks that a reduce function is callable
        raise TypeError("a placeholder global")


class _Writer(pickle._Pickler):
    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            return
        super().save(obj, save_persistent_id)

    def reducer_override(self, obj):
        if isinstance(obj, PersistentRecord):
            meta = {"type": "class", "version": 6, "module_src": "", "class_name": obj.class_name,
                    "state": obj.state}
            return _Global("torch_utils.persistence", "_reconstruct_persistent_obj"), (meta,)
        if isinstance(obj, TFNetworkRecord):  # built empty, then its state set: pg-GAN's tfutil (version 2) or
            module = "tfutil" if obj.state.get("version", 2) <= 2 else "dnnlib.tflib.network"  # StyleGAN2's dnnlib
            return _Global(module, "Network"), (), obj.state
        if isinstance(obj, EasyDictRecord):
            return _Global("dnnlib.util", "EasyDict"), (), None, None, iter(obj.items())
        return NotImplemented


def dumps(obj) -> bytes:
    """``obj`` (a snapshot dict of records, tensors and plain values) as NVIDIA-format pickle bytes."""
    buf = io.BytesIO()
    _Writer(buf, protocol=4).dump(obj)
    return buf.getvalue()
