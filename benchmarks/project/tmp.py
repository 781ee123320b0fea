"""Where benchmark databases live (no side effects, so scripts may import it freely)."""

import os
import tempfile


def bench_tmpdir() -> str:
    """tmpfs if there is one, so that commit fsyncs (disk noise, the same for every
    implementation) do not drown the library's own costs; else the system temp dir."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return tempfile.gettempdir()
