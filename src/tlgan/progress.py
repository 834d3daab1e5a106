"""Progress bars: tqdm, refreshed rarely when stderr is not a terminal (so logs stay readable)."""
import sys

from tqdm.auto import tqdm


def progress_bar(iterable=None, **kw):
    """A tqdm bar (same arguments as tqdm); in non-interactive runs it refreshes every 30 s."""
    kw.setdefault("mininterval", 0.1 if sys.stderr.isatty() else 30.0)
    kw.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kw)
