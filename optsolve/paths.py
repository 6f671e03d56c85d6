"""Where optsolve finds the project's shared material (public data such as NL4Opt)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    """``$OPTSOLVE_SHARED_DIR``, else the ``shared/`` folder beside the repository checkout."""
    env = os.environ.get("OPTSOLVE_SHARED_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared"


def nl4opt_dir() -> Path:
    return shared_dir() / "data" / "nl4opt"


def nl4opt_train_labels() -> Path:
    """The annotations of NL4Opt's training texts that ship with the repository (``data/``)."""
    return Path(__file__).resolve().parent.parent / "data" / "nl4opt_train_labels.txt"


def authored_train() -> Path:
    """Problems written for the embedded model's training, text and label (``annotations.authored_records``)."""
    return Path(__file__).resolve().parent.parent / "data" / "authored_train.txt"
