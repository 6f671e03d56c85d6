"""A learned verifier that ranks the pointer formalizer's candidates (a reward model, as ORLM's and
OptMATH's rejection sampling would use one).

The formalizer's own probability is a poor judge of its candidates: its mistakes are confident ones
(a ratio read the wrong way round, a coefficient taken from the neighbouring item), and ranking by
sequence log-probability picks no better than the greedy answer (measured, docs/embedded.md). The
verifier is trained for the other question: *given the text, is this formulation right?*

* **Architecture.** A copy of the formalizer's decoder (embeddings, the transformer layers with
  cross-attention) reads a whole candidate, teacher-forced, over the formalizer's own encoding of the
  text (shared, frozen: computed once per text for generation and scoring alike); the score is a
  linear head on the last step's state plus a linear score of every step, summed (candidates of one
  text share prefixes, which a causal decoder reads identically, so the sum differs where they do). Only the decoder side and the head are
  trained and shipped (``verifier.safetensors`` beside the formalizer).
* **Data.** The formalizer samples candidates for training texts it has not seen (the phrasing-variety
  records, ``--variety``); the solver marks each solved candidate right or wrong against the gold
  optimum (strict rule). No human label, no answer of an evaluation split.
* **Loss.** Listwise, per text: the softmax over its candidates' scores should put its mass on the
  right ones (texts with both kinds), plus a pointwise logistic term on every candidate so the score
  is also a calibrated confidence.

At inference :func:`optsolve.train.runtime.verified_candidates` scores the solved candidates and ranks
the objective groups by their best score (see :func:`rank_by_score`).
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
from pathlib import Path
from typing import Any

from optsolve.errors import InputError

FILE = "verifier.safetensors"
CONFIG = "verifier.json"
# the decoder side of the formalizer, copied into the verifier (the encoder side is shared, frozen)
DECODER_PREFIXES = ("tok_emb.", "pos_emb.", "ptr_in.", "layers.")


def _modules() -> Any:
    import torch
    from torch import nn

    class Verifier(nn.Module):
        def __init__(self, base: Any) -> None:
            super().__init__()
            d = base.cfg.hidden
            self.tok_emb = base.tok_emb
            self.pos_emb = base.pos_emb
            self.ptr_in = base.ptr_in
            self.layers = base.layers
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, 1)        # on the last step's state
            self.step_head = nn.Linear(d, 1)   # on every step's state, summed over the steps
            for lin in (self.head, self.step_head):
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
            self._embed = type(base).embed

        def forward(self, mem: Any, src_mask: Any, kinds: Any, vals: Any, valid: Any) -> Any:
            """Scores of candidates (rows) over their texts' encodings ``mem`` (one row each)."""
            x = self._embed(self, kinds, vals, mem)
            mmask = src_mask[:, None, None, :]
            for layer in self.layers:
                mk, mv = layer.memory_kv(mem)
                x, _ = layer(x, mk, mv, mmask, None)
            h = self.norm(x)
            last = valid.sum(-1) - 1
            h_last = h[torch.arange(h.shape[0]), last]
            # candidates of one text share their prefixes, and a causal decoder gives a shared prefix
            # the same states: summed step scores differ only where the candidates do
            steps = (self.step_head(h).squeeze(-1) * valid.float()).sum(-1)
            return self.head(h_last).squeeze(-1) + steps

    return Verifier


def build_verifier(base: Any) -> Any:
    """A verifier whose decoder starts as a deep copy of ``base``'s (the formalizer stays untouched)."""
    import copy

    return _modules()(copy.deepcopy(base))


def save_verifier(verifier: Any, path: str | Path, meta: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    keep = {k: v.detach().cpu().half().contiguous() for k, v in verifier.state_dict().items()}
    save_file(keep, str(p / FILE))
    (p / CONFIG).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def load_verifier(model_dir: str | Path, base: Any) -> Any | None:
    """The verifier shipped beside the formalizer at ``model_dir``, or None when there is none."""
    from safetensors.torch import load_file

    p = Path(model_dir)
    if not (p / FILE).is_file():
        return None
    v = build_verifier(base)
    state = {k: t.float() for k, t in load_file(str(p / FILE)).items()}
    try:
        v.load_state_dict(state)
    except RuntimeError as e:       # missing, unexpected or differently shaped tensors
        raise InputError(f"{p / FILE} does not fit the formalizer at {p}: {str(e).splitlines()[0]}",
                         hint="retrain it with `optsolve train verifier --model` on this model") from None
    v.eval()
    return v


def step_inputs(steps: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """A candidate's decoder outputs as inputs: BOS, then every output (its EOS included)."""
    from optsolve.train.pointer import BOS

    return [0] + [k for k, _ in steps], [BOS] + [v for _, v in steps]


def score_candidates(verifier: Any, mem: Any, steps: list[list[tuple[int, int]]]) -> list[float]:
    """Scores of candidates (their decoder outputs) for one text encoded as ``mem`` (1 x S x d)."""
    import torch

    if not steps:
        return []
    ins = [step_inputs(s) for s in steps]
    t = max(len(k) for k, _ in ins)
    kinds = torch.zeros(len(ins), t, dtype=torch.long)
    vals = torch.zeros(len(ins), t, dtype=torch.long)
    valid = torch.zeros(len(ins), t, dtype=torch.bool)
    for r, (k, v) in enumerate(ins):
        kinds[r, :len(k)] = torch.tensor(k)
        vals[r, :len(v)] = torch.tensor(v)
        valid[r, :len(k)] = True
    m = mem.expand(len(ins), -1, -1)
    mask = torch.ones(m.shape[:2], dtype=torch.bool)
    with torch.inference_mode():
        return [float(x) for x in verifier(m, mask, kinds, vals, valid)]


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------

def draw_candidates(model_dir: str | Path, records: list[dict[str, Any]], samples: int = 15,
                    temperature: float = 0.7, seed: int = 0, relax: bool = False, progress: bool = True,
                    out: str | Path | None = None) -> list[dict[str, Any]]:
    """The greedy candidate and ``samples`` samples for every record (text + gold formulation, or a
    bench row with ``question`` and ``answer``), each solved and marked right or wrong (strict rule).
    Rows as ``benchmarks/bench_ranking.py --dump`` writes them; appended to ``out`` (JSONL) as they
    come, and a text already drawn in ``out`` is not drawn again, so an interrupted run resumes."""
    from tqdm import tqdm

    from optsolve.train.evaluate import items_from, strict_match
    from optsolve.train.pointer import PointerModel
    from optsolve.train.runtime import check_all

    done: dict[str, dict[str, Any]] = {}
    if out is not None and Path(out).is_file():
        for line in Path(out).read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:        # a line cut by a crash: drawn again
                continue
            done[row["text"]] = row
    model = PointerModel(model_dir)
    items = items_from(records)
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(Path(out).open("a", encoding="utf-8")) if out is not None else None
        for it in tqdm(items, disable=not progress, desc="draw candidates", mininterval=5):
            text = it["question"]
            if text in done:
                rows.append(done[text])
                continue
            g, values = model.generate(text, k=1, seed=seed, max_seconds=6.0)
            cands = list(g.candidates)
            if samples:
                more, _ = model.generate(text, k=samples, temperature=temperature, seed=seed,
                                         max_seconds=12.0, greedy=False)
                cands += more.candidates
            check_all(cands, values, relax=relax)
            row = {"id": it["id"], "text": text, "answer": it["answer"], "family": it.get("family", ""),
                   "cands": [{"greedy": c.greedy, "ok": c.ok, "objective": c.objective, "logp": c.logp,
                              "right": bool(c.ok and strict_match(c.objective, float(it["answer"]))),
                              "steps": c.steps, "compact": c.compact} for c in cands]}
            line = json.dumps(row)
            rows.append(json.loads(line))     # as a resumed run reads it back
            if sink is not None:
                sink.write(line + "\n")
                sink.flush()
    return rows


def examples_from_dumps(rows: list[dict[str, Any]], max_cands: int = 16) -> list[dict[str, Any]]:
    """Training examples from candidate dumps (``benchmarks/bench_ranking.py --dump``): per text its
    distinct solved candidates and whether each is right."""
    out = []
    for d in rows:
        seen: dict[tuple[tuple[int, int], ...], bool] = {}
        for c in d["cands"]:
            if not c.get("ok") or not c.get("steps"):
                continue
            key = tuple((int(a), int(b)) for a, b in c["steps"])
            seen.setdefault(key, bool(c["right"]))
        if seen:
            items = list(seen.items())[:max_cands]
            out.append({"text": d["text"], "cands": [list(k) for k, _ in items], "right": [r for _, r in items]})
    return out


def train_verifier(model_dir: str | Path, examples: list[dict[str, Any]], out: str | Path,
                   eval_examples: list[dict[str, Any]] | None = None, epochs: float = 2.0, lr: float = 5e-4,
                   head_lr: float = 3e-3, texts_per_batch: int = 8, point_weight: float = 0.5,
                   max_minutes: float | None = None, seed: int = 0, threads: int | None = None,
                   progress: bool = True) -> dict[str, Any]:
    """Train a verifier for the pointer formalizer at ``model_dir`` on ``examples``; it is written to
    ``out`` (the two verifier files, then copied beside the formalizer to ship it)."""
    import torch
    from tqdm import tqdm

    from optsolve.train.common import set_threads
    from optsolve.train.pointer import PointerModel

    if not examples:
        raise InputError("no verifier examples", hint="dump candidates with benchmarks/bench_ranking.py --dump")
    set_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    pm = PointerModel(model_dir)
    base = pm.model

    def memory(text: str) -> Any:
        return pm.memory(text)[1][0].half()    # copied into each batch: the inference tensor is never trained

    t_enc = time.monotonic()
    mems = [memory(e["text"]) for e in tqdm(examples, disable=not progress, desc="encode", mininterval=5)]
    eval_mems = [memory(e["text"]) for e in (eval_examples or [])]
    enc_s = time.monotonic() - t_enc
    ver = build_verifier(base)
    ver.train()
    head = [p for n, p in ver.named_parameters() if n.startswith(("head.", "step_head.", "norm."))]
    body = [p for n, p in ver.named_parameters() if not n.startswith(("head.", "step_head.", "norm."))]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01)
    useful = [i for i, e in enumerate(examples) if e["cands"]]
    total = max(1, int(math.ceil(len(useful) / texts_per_batch) * epochs))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 20) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total))))
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    metrics = (outp / "verifier_metrics.jsonl").open("w", encoding="utf-8")
    t0 = time.monotonic()
    step = 0
    losses: list[float] = []
    bar = tqdm(total=total, disable=not progress, desc="verifier", mininterval=5)
    stop = False
    while step < total and not stop:
        order = list(useful)
        rng.shuffle(order)
        for b in range(0, len(order), texts_per_batch):
            if step >= total or (max_minutes and time.monotonic() - t0 > max_minutes * 60):
                stop = step < total
                break
            part = order[b:b + texts_per_batch]
            batch = _collate([examples[i] for i in part], [mems[i] for i in part])
            scores = ver(batch["mem"], batch["mask"], batch["kinds"], batch["vals"], batch["valid"])
            loss = _loss(scores, batch["group"], batch["label"], point_weight)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(ver.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss.detach()))
            bar.update(1)
            if step % 20 == 0:
                metrics.write(json.dumps({"step": step, "loss": round(sum(losses[-20:]) / 20, 5),
                                          "seconds": round(time.monotonic() - t0, 1)}) + "\n")
                metrics.flush()
    bar.close()
    ver.eval()
    summary: dict[str, Any] = {"from": str(model_dir), "texts": len(examples),
                               "candidates": sum(len(e["cands"]) for e in examples),
                               "right": sum(sum(e["right"]) for e in examples), "steps": step,
                               "epochs": epochs, "lr": lr, "head_lr": head_lr, "texts_per_batch": texts_per_batch,
                               "point_weight": point_weight, "encode_seconds": round(enc_s, 1),
                               "train_seconds": round(time.monotonic() - t0, 1),
                               "final_loss": round(sum(losses[-20:]) / max(1, len(losses[-20:])), 5)}
    if eval_examples:
        summary["eval"] = pick_accuracy(ver, eval_examples, eval_mems)
        metrics.write(json.dumps({"step": step, "eval": summary["eval"]}) + "\n")
    metrics.close()
    save_verifier(ver, outp, summary)
    return summary


def _collate(exs: list[dict[str, Any]], mems: list[Any]) -> dict[str, Any]:
    import torch

    rows = [(g, c, r) for g, e in enumerate(exs) for c, r in zip(e["cands"], e["right"])]
    t = max(len(c) for _, c, _ in rows) + 1
    s = max(m.shape[0] for m in mems)
    d = mems[0].shape[-1]
    mem = torch.zeros(len(exs), s, d)
    mask = torch.zeros(len(exs), s, dtype=torch.bool)
    for i, m in enumerate(mems):
        mem[i, :m.shape[0]] = m.float()
        mask[i, :m.shape[0]] = True
    group = torch.tensor([g for g, _, _ in rows])
    kinds = torch.zeros(len(rows), t, dtype=torch.long)
    vals = torch.zeros(len(rows), t, dtype=torch.long)
    valid = torch.zeros(len(rows), t, dtype=torch.bool)
    for r, (_, c, _) in enumerate(rows):
        k, v = step_inputs([(int(a), int(b)) for a, b in c])
        kinds[r, :len(k)], vals[r, :len(v)], valid[r, :len(k)] = torch.tensor(k), torch.tensor(v), True
    return {"mem": mem[group], "mask": mask[group], "kinds": kinds, "vals": vals, "valid": valid,
            "group": group, "label": torch.tensor([float(r) for _, _, r in rows])}


def _loss(scores: Any, group: Any, label: Any, point_weight: float) -> Any:
    """Listwise (per text: -log of the softmax mass on its right candidates, texts with right and
    wrong ones) plus ``point_weight`` x logistic loss on every candidate."""
    import torch

    parts = []
    for g in torch.unique(group):
        sel = group == g
        s, y = scores[sel], label[sel]
        if 0 < float(y.sum()) < len(y):
            parts.append(torch.logsumexp(s, 0) - torch.logsumexp(s.masked_fill(y < 0.5, -1e9), 0))
    loss = point_weight * torch.nn.functional.binary_cross_entropy_with_logits(scores, label)
    if parts:
        loss = loss + torch.stack(parts).mean()
    return loss


def rank_by_score(objectives: list[float | None], scores: list[float], rel: float = 1e-6) -> list[int]:
    """Indices of solved candidates, best first: objective groups ordered by their best score (a
    candidate with ``None`` objective is left out)."""
    from optsolve.train.runtime import objective_groups

    groups = objective_groups(objectives, rel)
    groups.sort(key=lambda g: -max(scores[i] for i in g))
    return [i for g in groups for i in sorted(g, key=lambda i: -scores[i])]


def pick_accuracy(verifier: Any, examples: list[dict[str, Any]], mems: list[Any]) -> dict[str, float]:
    """Share of texts whose top-scored candidate is right, beside the best any ranking could do."""
    import torch

    hit = oracle = 0
    for e, m in zip(examples, mems):
        s = score_candidates(verifier, m.float()[None], [[(int(a), int(b)) for a, b in c] for c in e["cands"]])
        if s:
            hit += bool(e["right"][int(torch.tensor(s).argmax())])
        oracle += any(e["right"])
    n = max(1, len(examples))
    return {"texts": len(examples), "top_right": round(hit / n, 4), "oracle": round(oracle / n, 4)}
