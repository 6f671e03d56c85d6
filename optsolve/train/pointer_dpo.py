"""DPO for the pointer formalizer, from its own solver-checked mistakes.

:func:`self_pairs` samples the SFT model on training texts; the solver marks every sample right (the
gold optimum under the strict rule) or wrong, and each distinct wrong sample becomes a rejected
sequence against the gold target (the chosen one). :func:`train_dpo` then optimises the DPO loss
(Rafailov et al. 2023) against a frozen copy of the SFT model. The sequence probability of the gold
target counts every mention of a number as correct, as in SFT; the rejected sequence is the exact
path the model took. Dropout is off in both models (as TRL does), so the log-ratios are exact.

``level="step"`` contrasts one decision instead of two sequences (as Step-DPO, Lai et al. 2024): the
first step at which the rejected path leaves the outputs the gold accepts. Up to that step both paths
read the same prefix (a number's other mention counts as the same), so one forward pass over the gold
path gives both log-probabilities at that step; the steps the rejected sample got right are not pushed
down with it.
"""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path
from typing import Any

from optsolve.errors import InputError
from optsolve.train.evaluate import strict_match


def self_pairs(model_dir: str, records: list[dict[str, Any]], k: int = 4, temperature: float = 1.0,
               seed: int = 0, progress: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Preference pairs (encoder states, flags, chosen steps, rejected steps) and counts."""
    from tqdm import tqdm

    from optsolve.solvers import solve
    from optsolve.train.compact import Unsupported, encode
    from optsolve.train.data import text_and_gold
    from optsolve.train.numbers import mask_numbers
    from optsolve.train.pointer import PointerModel, Step, steps_for
    from optsolve.train.runtime import check_candidate

    model = PointerModel(model_dir)
    index = {t: i for i, t in enumerate(model.vocab)}
    V = len(model.vocab)
    pairs: list[dict[str, Any]] = []
    stats = {"records": 0, "samples": 0, "right": 0, "pairs": 0, "skipped": 0}
    for i, rec in enumerate(tqdm(records, disable=not progress, desc="self-pairs", mininterval=5)):
        try:
            text, gold = text_and_gold(rec)
            target = encode(gold, mask_numbers(text))
        except (Unsupported, InputError, KeyError, TypeError, ValueError, SyntaxError):
            stats["skipped"] += 1
            continue
        ref = solve(gold)
        src, states = model.source(text)
        chosen = steps_for(src, target, index)
        if ref.objective is None or chosen is None:
            stats["skipped"] += 1
            continue
        stats["records"] += 1
        gen, values = model.generate(text, k=k, temperature=temperature, seed=seed + i, greedy=False)
        seen: set[tuple[tuple[int, int], ...]] = set()
        for c in gen.candidates:
            stats["samples"] += 1
            check_candidate(c, values)
            if c.ok and strict_match(c.objective, ref.objective):
                stats["right"] += 1
                continue
            key = tuple(c.steps or ())
            if not key or key in seen:
                continue
            seen.add(key)
            # a number is any of its mentions, in the rejected sequence as in the chosen one: pointing
            # at another mention of the right value must not be pushed down
            rejected: list[Step] = [
                (kind, val, tuple(V + p for p in src.num_pos[src.pos_num[val]]) if kind and val in src.pos_num
                 else ((V + val,) if kind else (val,))) for kind, val in key]
            pairs.append({"feats": states.half(), "flags": src.num_flags(), "chosen": chosen,
                          "rejected": rejected})
    stats["pairs"] = len(pairs)
    return pairs, stats


def first_divergence(chosen: list[Any], rejected: list[Any]) -> int | None:
    """Index of the first step whose rejected output the gold does not accept there (None: none does)."""
    for t, (c, r) in enumerate(zip(chosen, rejected)):
        if not set(r[2]) <= set(c[2]):
            return t
    return None


def _step_logps(model: Any, batch: dict[str, Any], at: Any, rej: list[tuple[int, ...]]) -> tuple[Any, Any, Any]:
    """log P(gold outputs) and log P(rejected outputs) at step ``at[i]`` of each gold path, and the logits of
    every step (for the gold NLL)."""
    import torch

    logits = model(batch["feats"], batch["src_mask"], batch["flags"], batch["kinds"], batch["vals"])
    rows = torch.arange(logits.shape[0])
    lg = logits[rows, at]                                   # (B, V+S) at the diverging step
    norm = torch.logsumexp(lg, dim=-1)
    good = torch.logsumexp(lg.masked_fill(~batch["tgt"][rows, at], -1e9), dim=-1) - norm
    bad_mask = torch.zeros_like(batch["tgt"][rows, at])
    for i, outs in enumerate(rej):
        bad_mask[i, [o for o in outs if o < bad_mask.shape[1]]] = True
    bad = torch.logsumexp(lg.masked_fill(~bad_mask, -1e9), dim=-1) - norm
    return good, bad, logits


def _seq_logp(model: Any, batch: dict[str, Any]) -> Any:
    """Sum over the steps of log P(correct output); every mention of a number counts."""
    import torch

    logits = model(batch["feats"], batch["src_mask"], batch["flags"], batch["kinds"], batch["vals"])
    good = torch.logsumexp(logits.masked_fill(~batch["tgt"], -1e9), dim=-1)
    lp = good - torch.logsumexp(logits, dim=-1)
    return (lp * batch["valid"]).sum(-1)


def train_dpo(model_dir: str, pairs: list[dict[str, Any]], out: str, beta: float = 0.1, lr: float = 5e-5,
              epochs: float = 1.0, batch_size: int = 8, max_minutes: float | None = None, seed: int = 0,
              threads: int | None = None, progress: bool = True, sft_weight: float = 1.0,
              level: str = "sequence") -> dict[str, Any]:
    """DPO from ``model_dir`` (a pointer model) on ``pairs``; the result lands in ``out/model``.

    ``sft_weight`` adds the chosen sequences' per-step negative log-likelihood to the DPO loss (as in
    RPO, Pang et al. 2024): the rejected samples share most steps with the gold, and DPO alone lowers
    the gold's own probability with theirs (measured: validation accuracy 15.5 % -> 2.3 %)."""
    import random

    import torch
    from safetensors.torch import load_file
    from tqdm import tqdm

    from optsolve.train.common import set_threads
    from optsolve.train.pointer import (
        PointerConfig,
        build_model,
        collate,
        optimizer_step,
        save_model,
        set_loss,
    )

    if level not in ("sequence", "step"):
        raise InputError(f"unknown DPO level {level!r}", hint="use 'sequence' or 'step'")
    if level == "step":
        kept = []
        for p in pairs:
            t = first_divergence(p["chosen"], p["rejected"])
            if t is not None:
                kept.append({**p, "at": t, "bad": p["rejected"][t][2]})
        pairs = kept
    if not pairs:
        raise InputError("no preference pairs", hint="the SFT model answered every sampled text correctly, "
                         "or no record could be encoded: sample more records")
    set_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    raw = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    cfg = PointerConfig(**{k: v for k, v in raw.items() if k in PointerConfig.__dataclass_fields__})
    policy = build_model(cfg)
    policy.load_state_dict({k: v.float() for k, v in load_file(str(Path(model_dir) / "pointer.safetensors")).items()})
    ref = copy.deepcopy(policy)
    policy.eval()      # no dropout: the log-ratios must be exact
    ref.eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    n_vocab = len(cfg.vocab)
    total = max(1, int(math.ceil(len(pairs) / batch_size) * epochs))
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    metrics = (outp / "metrics.jsonl").open("w", encoding="utf-8")
    t0 = time.monotonic()
    step = 0
    accs: list[float] = []
    losses: list[float] = []
    bar = tqdm(total=total, disable=not progress, desc="pointer dpo", mininterval=5)
    stop = False
    while step < total and not stop:
        order = list(range(len(pairs)))
        rng.shuffle(order)
        for b in range(0, len(order), batch_size):
            if step >= total:
                break
            if max_minutes and time.monotonic() - t0 > max_minutes * 60:
                stop = True
                break
            part = [pairs[i] for i in order[b:b + batch_size]]
            ch = collate([{"feats": p["feats"], "flags": p["flags"], "steps": p["chosen"]} for p in part], n_vocab)
            if level == "step":
                at = torch.tensor([p["at"] for p in part])
                bad = [p["bad"] for p in part]
                with torch.no_grad():
                    rc, rr, _ = _step_logps(ref, ch, at, bad)
                pc, pr, logits = _step_logps(policy, ch, at, bad)
            else:
                rj = collate([{"feats": p["feats"], "flags": p["flags"], "steps": p["rejected"]} for p in part],
                             n_vocab)
                with torch.no_grad():
                    rc, rr = _seq_logp(ref, ch), _seq_logp(ref, rj)
                pc, pr = _seq_logp(policy, ch), _seq_logp(policy, rj)
            margin = beta * ((pc - rc) - (pr - rr))
            loss = -torch.nn.functional.logsigmoid(margin).mean()
            if sft_weight:      # the gold's NLL per step: over every step at the step level, else per sequence
                nll = set_loss(logits, ch["tgt"], ch["valid"]) if level == "step" else (-pc / ch["valid"].sum(-1)).mean()
                loss = loss + sft_weight * nll
            optimizer_step(policy, opt, loss, step, "DPO loss")
            step += 1
            losses.append(float(loss.detach()))
            accs.append(float((margin > 0).float().mean()))
            bar.update(1)
            if step % 10 == 0:
                metrics.write(json.dumps({"step": step, "loss": round(sum(losses[-10:]) / 10, 5),
                                          "reward_accuracy": round(sum(accs[-10:]) / 10, 4),
                                          "seconds": round(time.monotonic() - t0, 1)}) + "\n")
                metrics.flush()
    bar.close()
    metrics.close()
    save_model(policy, cfg, outp / "model")
    summary = {"arch": cfg.optsolve_arch, "stage": "dpo", "from": model_dir, "pairs": len(pairs), "steps": step,
               "level": level, "beta": beta, "lr": lr, "sft_weight": sft_weight, "batch_size": batch_size, "seconds": round(time.monotonic() - t0, 1),
               "final_loss": round(sum(losses[-20:]) / max(1, len(losses[-20:])), 5),
               "reward_accuracy": round(sum(accs[-20:]) / max(1, len(accs[-20:])), 4)}
    (outp / "optsolve_train.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary
