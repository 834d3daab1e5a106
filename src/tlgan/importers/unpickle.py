"""An allow-list unpickler for NVIDIA's checkpoint pickles: it rebuilds tensors, arrays and plain containers and
nothing else, so nothing stored in the file ever runs.

NVIDIA's files are pickles that official loaders open with the authors' source on the path: stylegan2-ada-pytorch
and StyleGAN3 store each network as ``torch_utils.persistence._reconstruct_persistent_obj(meta)`` (``meta`` holds
the defining module's whole source, which their loader ``exec``s); the TensorFlow releases (pg-GAN's
``tfutil.Network``, StyleGAN/StyleGAN2's ``dnnlib.tflib.network.Network``) store ``__getstate__`` dicts with a
``build_module_src``. Here each such global maps to an inert stand-in — :class:`PersistentRecord` (the ``meta`` dict,
source kept as text) or :class:`TFNetworkRecord` (the state dict) — tensors are rebuilt from their bytes by
``torch.load(weights_only=True)``, and any other global is refused (:class:`UnsafeCheckpoint`) before anything is
called. The file is read as a stream: one storage's bytes at a time, never a second copy of the whole file.
"""
from __future__ import annotations

import collections
import io
import pickle

import numpy as np
import torch

from ..errors import UserError


class UnsafeCheckpoint(UserError):
    """The pickle names something an NVIDIA checkpoint never does; it was refused without running anything."""


class PersistentRecord:
    """What ``torch_utils.persistence._reconstruct_persistent_obj(meta)`` stands for, never built into a class:
    ``class_name``, ``module_src`` (text, never executed) and ``state`` (the module's ``__dict__``)."""

    def __init__(self, meta):
        if not isinstance(meta, dict) or not isinstance(meta.get("state"), dict) or \
                not isinstance(meta.get("class_name"), str):
            raise UnsafeCheckpoint("a persistent object in the file is malformed (meta without class_name/state)")
        self.class_name, self.state = meta["class_name"], meta["state"]
        self.module_src = str(meta.get("module_src", ""))


class TFNetworkRecord:
    """What a TensorFlow ``Network`` (pg-GAN's ``tfutil``, StyleGAN's ``dnnlib.tflib``) stands for: its
    ``__getstate__`` dict (``name``, ``static_kwargs``, ``variables`` [(name, ndarray)], ``components``…)."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise UnsafeCheckpoint("a TensorFlow network in the file has no state dict")
        self.state = state


class EasyDictRecord(dict):
    """``dnnlib.util.EasyDict`` (a dict with attribute access): an ordinary dict here."""

    def __setstate__(self, state):
        if state:
            self.update(state)


def _parameter(data, requires_grad=False, backward_hooks=None, *rest):
    """``torch._utils._rebuild_parameter``: the plain tensor (hooks dropped)."""
    if not isinstance(data, torch.Tensor):
        raise UnsafeCheckpoint("a parameter in the file is not a tensor")
    return data


def _storage_from_bytes(b):
    """``torch.storage._load_from_bytes``: a storage saved with torch.save, read with weights_only."""
    if not isinstance(b, bytes | bytearray):
        raise UnsafeCheckpoint("a tensor storage in the file is not bytes")
    return torch.load(io.BytesIO(b), weights_only=True)


def _tensor(storage, offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    """``torch._utils._rebuild_tensor_v2`` on a storage this reader made."""
    if not isinstance(storage, torch.storage.TypedStorage | torch.UntypedStorage):
        raise UnsafeCheckpoint("a tensor in the file does not refer to a tensor storage")
    return torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, collections.OrderedDict())


def _scalar(dtype, data=None):
    """``numpy.core.multiarray.scalar`` for numeric dtypes only (an object scalar would carry a pickled object)."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc" or not isinstance(data, bytes):
        raise UnsafeCheckpoint("a NumPy scalar in the file is not a plain number")
    return np.frombuffer(data, dtype)[0]


def _ndarray(cls, shape, dtype_code):
    """``numpy.core.multiarray._reconstruct`` for plain ndarrays (their data comes through __setstate__)."""
    if cls is not np.ndarray:
        raise UnsafeCheckpoint("an array in the file is not a plain NumPy array")
    return np.ndarray.__new__(np.ndarray, shape, dtype_code)


def _dtype(spec, align=False, copy=False):
    d = np.dtype(spec, align, copy)
    if d.hasobject:
        raise UnsafeCheckpoint("an array dtype in the file holds Python objects")
    return d


ALLOWED = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): PersistentRecord,
    ("dnnlib.tflib.network", "Network"): TFNetworkRecord,
    ("tfutil", "Network"): TFNetworkRecord,
    ("dnnlib.util", "EasyDict"): EasyDictRecord,
    ("dnnlib", "EasyDict"): EasyDictRecord,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,  # protocols < 4 write sets this way
    ("__builtin__", "set"): set,
    ("torch._utils", "_rebuild_tensor_v2"): _tensor,
    ("torch._utils", "_rebuild_parameter"): _parameter,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.multiarray", "_reconstruct"): _ndarray,
    ("numpy._core.multiarray", "_reconstruct"): _ndarray,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeCheckpoint(f"it names the global {module}.{name}, which no NVIDIA checkpoint needs; "
                                   "refused before anything ran") from None

    def persistent_load(self, pid):
        raise UnsafeCheckpoint("it refers to external objects (a torch.save archive?); NVIDIA's pickles do not")


def safe_load(path) -> object:
    """Unpickle ``path`` with only the stand-ins above (see the module docstring); UserError (one line) for a
    file that is not such a pickle, is truncated or names anything else."""
    import zipfile
    try:
        if zipfile.is_zipfile(path):
            raise UnsafeCheckpoint("it is a torch.save archive, not an NVIDIA pickle (open it with torch.load("
                                   "weights_only=True) or export it as a tlgan run)")
        with open(path, "rb") as f:
            return _Unpickler(f).load()
    except UserError as e:
        raise type(e)(f"{path}: {e}") from None
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            RuntimeError, MemoryError) as e:
        reason = "the file ends early (truncated?)" if isinstance(e, EOFError) else f"{type(e).__name__}: {e}"
        raise UserError(f"{path}: not a readable NVIDIA checkpoint pickle ({reason})") from None
