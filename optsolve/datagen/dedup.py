"""Exact and near-duplicate detection over problem texts (MinHash + LSH, verified by exact Jaccard).

Texts are normalised (lower case, numbers kept, punctuation and extra spaces dropped) and cut into word
shingles. Two texts are *exact* duplicates when their normalised forms are equal, and *near* duplicates
when the Jaccard similarity of their shingle sets reaches a threshold. Candidates come from MinHash
signatures banded into an LSH table, so the cost stays close to linear in the number of texts; every
candidate is then checked with the exact Jaccard of the shingle sets, so the LSH never decides alone.

Used for dedup within and across splits and for the contamination check against NL4Opt texts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)


def normalize(text: str) -> str:
    """Lower case, words and numbers only ("$1,500.00" -> "1500.00"), single spaces."""
    words = _WORD.findall(text.lower())
    return " ".join(w.replace(",", "") for w in words)


def shingles(text: str, k: int = 3) -> set[str]:
    """Word k-shingles of the normalised text (the whole text when it is shorter than k words)."""
    words = normalize(text).split()
    if len(words) <= k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def text_key(text: str) -> str:
    """A stable hash of the normalised text: equal keys mean exact duplicates."""
    return hashlib.sha1(normalize(text).encode()).hexdigest()


def _hash64(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")


@dataclass
class MinHasher:
    """MinHash signatures with ``num_perm`` universal hashes ``(a*x + b) mod p`` (p = 2^61 - 1)."""

    num_perm: int = 64
    seed: int = 1

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        # 32-bit multipliers keep a*x (x < 2^32 after folding) inside uint64 without overflow
        self._a = rng.integers(1, 1 << 32, size=self.num_perm, dtype=np.uint64)
        self._b = rng.integers(0, 1 << 32, size=self.num_perm, dtype=np.uint64)

    def signature(self, sh: set[str]) -> np.ndarray:
        if not sh:
            return np.zeros(self.num_perm, dtype=np.uint64)
        xs = np.array([_hash64(s) for s in sh], dtype=np.uint64)
        xs = (xs ^ (xs >> np.uint64(32))) & _MASK32
        vals = (np.outer(xs, self._a) + self._b) % _MERSENNE
        sig: np.ndarray = vals.min(axis=0)
        return sig


@dataclass
class Match:
    kind: str          # "exact" or "near"
    other: str         # the key (record id / document id) of the earlier text it duplicates
    similarity: float


@dataclass
class NearDupIndex:
    """An incremental index: ``query`` finds a duplicate among the texts ``add``-ed so far.

    ``threshold`` is the Jaccard similarity of word 3-shingles above which two texts are near
    duplicates; ``bands`` x ``rows`` must equal the MinHash size (16 x 4 = 64 finds pairs with
    Jaccard 0.7 with probability ~0.98).
    """

    threshold: float = 0.8
    k: int = 3
    bands: int = 16
    rows: int = 4
    _hasher: MinHasher = field(init=False)
    _exact: dict[str, str] = field(default_factory=dict, init=False)
    _buckets: list[dict[bytes, list[str]]] = field(init=False)
    _shingles: dict[str, set[str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._hasher = MinHasher(num_perm=self.bands * self.rows)
        self._buckets = [{} for _ in range(self.bands)]

    def __len__(self) -> int:
        return len(self._shingles)

    def _bands(self, sig: np.ndarray) -> Iterator[tuple[int, bytes]]:
        for b in range(self.bands):
            yield b, sig[b * self.rows:(b + 1) * self.rows].tobytes()

    def query(self, text: str) -> Match | None:
        ek = text_key(text)
        if ek in self._exact:
            return Match("exact", self._exact[ek], 1.0)
        sh = shingles(text, self.k)
        sig = self._hasher.signature(sh)
        best: Match | None = None
        seen: set[str] = set()
        for b, key in self._bands(sig):
            for other in self._buckets[b].get(key, ()):
                if other in seen:
                    continue
                seen.add(other)
                sim = jaccard(sh, self._shingles[other])
                if sim >= self.threshold and (best is None or sim > best.similarity):
                    best = Match("near", other, sim)
        return best

    def add(self, key: str, text: str) -> None:
        sh = shingles(text, self.k)
        self._exact.setdefault(text_key(text), key)
        self._shingles[key] = sh
        sig = self._hasher.signature(sh)
        for b, bk in self._bands(sig):
            self._buckets[b].setdefault(bk, []).append(key)


# --- NL4Opt texts for the contamination check -------------------------------------------------

def _ner_documents(path: Path) -> Iterator[str]:
    """Documents of a CoNLL-style NER file: one token per line, blank lines between documents."""
    tokens: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                if tokens:
                    yield " ".join(tokens)
                    tokens = []
                continue
            tok = line.split("\t", 1)[0].split(" ", 1)[0]
            if tok == "-DOCSTART-":
                continue
            tokens.append(tok)
    if tokens:
        yield " ".join(tokens)


def reference_texts(root: Path) -> list[tuple[str, str]]:
    """``(doc_id, text)`` for every NL4Opt text under ``root`` (generation_*.jsonl, ner_*.txt)."""
    out: list[tuple[str, str]] = []
    if not root.is_dir():
        return out
    for p in sorted(root.glob("generation_*.jsonl")):
        with p.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                line = line.strip()
                if not line:
                    continue
                obj = json.loads(line)
                for doc_id, body in obj.items():
                    if isinstance(body, dict) and isinstance(body.get("document"), str):
                        out.append((f"{p.name}:{doc_id}", body["document"]))
                    elif isinstance(body, str):
                        out.append((f"{p.name}:{n}", body))
    for p in sorted(root.glob("ner_*.txt")):
        for n, doc in enumerate(_ner_documents(p)):
            out.append((f"{p.name}:{n}", doc))
    return out


def build_index(texts: Iterable[tuple[str, str]], threshold: float = 0.8) -> NearDupIndex:
    idx = NearDupIndex(threshold=threshold)
    for key, text in texts:
        idx.add(key, text)
    return idx
