"""A learned ranking over the text checks, measured against the shipped rule on saved candidate dumps.

The shipped ranking (:func:`optsolve.train.runtime.vote`) orders objective groups by a fixed key: the
product of the text checks (:func:`optsolve.train.runtime.fit_factors`) times the numbers share first,
then the comparisons, then the group's size. This script asks whether weights learned from the
development sets' draws (validation v2, the annotated training texts) pick right more often on the sets
it never reads (test split, NL4Opt dev, annotated held-out).

    python benchmarks/rerank.py features runs/d/val_dump.jsonl ... --out runs/s24/feat   # replay, once
    python benchmarks/rerank.py fit --train val_dump train_dump --test test_dump dev_dump held_dump \\
        --features runs/s24/feat

``features`` replays each dump as ``bench_ranking.replay`` does (solved again, repaired as the backend
repairs), and writes per problem every solved candidate's checks, objective group, group size, log
probability and whether it is right, with the rule's pick. ``fit`` learns a conditional-logit model (a
softmax over a problem's solved candidates; the right ones are the target) and prints right picks of the
rule and of the model per set. Run ``features`` alone on the machine (5 s solver limits).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

FLOOR = 0.01    # a check's value below this is read as this (log of zero)


def features(path: str, k: int) -> list[dict[str, Any]]:
    """Per problem of a dump: its solved candidates (first ``k`` drawn plus repairs) with their checks."""
    import bench_ranking as br

    from optsolve.train.grounding import read
    from optsolve.train.runtime import coverage, fit_factors, objective_groups, vote

    out = []
    for d in br.replay(path):
        cands = d["cands"][:k]
        cands = cands + br.repairs(d, cands)
        ranked = [c for c in vote(cands, n_numbers=d["n_values"], text=d["text"]) if c.ok]
        reading = read(d["text"])
        solved = [c for c in cands if c.ok]
        groups = objective_groups([c.objective for c in solved])
        gid = {i: g for g, members in enumerate(groups) for i in members}
        rows = []
        for i, c in enumerate(solved):
            f = fit_factors(reading, c.compact)
            rows.append({
                "group": gid[i], "votes": c.votes, "cov": coverage(c, d["n_values"]),
                "comparisons": reading.comparisons(c.compact), "factors": f,
                "has_obj": bool(c.formulation and c.formulation.get("objective")),
                "zero": abs(c.objective or 0.0) < 1e-9, "greedy": bool(c.greedy), "repaired": bool(c.repaired),
                "logp": c.logp, "right": bool(c.right),
            })
        pick = next((i for i, c in enumerate(solved) if ranked and c is ranked[0]), None)
        out.append({"id": str(d["id"]), "k": len(d["cands"][:k]), "rule_pick": pick, "cands": rows})
    return out


FLAGS = ["cov", "comparisons", "vote_share", "log_votes", "no_obj", "zero", "greedy", "repaired", "logp/10",
         "no_logp"]


def feature_names(c: dict[str, Any]) -> list[str]:
    """The names of :func:`vector`'s entries, in order."""
    return [*c["factors"], *FLAGS]


def vector(c: dict[str, Any], k: int) -> list[float]:
    """The features of one candidate: log of each check and of the numbers share, the comparisons, its
    group's share of the draws, and flags."""
    v = [math.log(max(FLOOR, float(x))) for x in c["factors"].values()]
    v += [math.log(max(FLOOR, c["cov"])), math.log(max(FLOOR, c["comparisons"])),
          c["votes"] / max(1, k), math.log(1 + c["votes"]),
          float(not c["has_obj"]), float(c["zero"]), float(c["greedy"]), float(c["repaired"]),
          (c["logp"] if c["logp"] is not None else 0.0) / 10.0, float(c["logp"] is None)]
    return v


def fit(problems: list[dict[str, Any]], l2: float = 1e-3, iterations: int = 200) -> Any:
    """Conditional logit weights (a float64 tensor, one per :func:`feature_names`): maximise the log of
    the softmax mass on the right candidates, per problem with a right one (the rest carry no signal), by
    L-BFGS from zero (deterministic)."""
    import torch

    data = []
    for p in problems:
        if not any(c["right"] for c in p["cands"]):
            continue
        x = torch.tensor([vector(c, p["k"]) for c in p["cands"]], dtype=torch.float64)
        y = torch.tensor([c["right"] for c in p["cands"]])
        data.append((x, y))
    if not data:
        raise ValueError("no problem with a right candidate to learn from")
    w = torch.zeros(data[0][0].shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        loss = torch.zeros((), dtype=torch.float64)
        for x, y in data:
            s = x @ w
            loss = loss - (torch.logsumexp(s[y], 0) - torch.logsumexp(s, 0))
        loss = loss / len(data) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach()


def picks(problems: list[dict[str, Any]], w: Any) -> int:
    """Right picks of the learned ranking: the candidate with the highest score (ties: the rule's order
    is not known here, so the first drawn)."""
    import torch

    n = 0
    for p in problems:
        if not p["cands"]:
            continue
        x = torch.tensor([vector(c, p["k"]) for c in p["cands"]], dtype=torch.float64)
        n += p["cands"][int(torch.argmax(x @ w))]["right"]
    return n


def rule_picks(problems: list[dict[str, Any]]) -> int:
    return sum(p["rule_pick"] is not None and p["cands"][p["rule_pick"]]["right"] for p in problems)


def load(folder: str, name: str) -> list[dict[str, Any]]:
    stem = Path(name).name.removesuffix(".jsonl").removesuffix(".json")
    path = Path(folder) / f"{stem}.json"
    return list(json.loads(path.read_text()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features", help="replay dumps and write their candidates' checks")
    f.add_argument("dumps", nargs="+")
    f.add_argument("--out", required=True)
    f.add_argument("--k", type=int, default=32)
    g = sub.add_parser("fit", help="learn weights on --train sets, report right picks on every set")
    g.add_argument("--features", required=True)
    g.add_argument("--train", nargs="+", required=True)
    g.add_argument("--test", nargs="*", default=[])
    g.add_argument("--l2", type=float, default=1e-3)
    g.add_argument("--iterations", type=int, default=200, help="L-BFGS iterations")
    g.add_argument("--save", help="write the weights here (JSON, by feature name)")
    a = ap.parse_args()
    if a.cmd == "features":
        Path(a.out).mkdir(parents=True, exist_ok=True)
        for path in a.dumps:
            rows = features(path, a.k)
            (Path(a.out) / f"{Path(path).name.removesuffix('.jsonl')}.json").write_text(json.dumps(rows))
            print(f"{path}: {len(rows)} problems, rule {rule_picks(rows)} right", file=sys.stderr)
        return 0
    train = [p for name in a.train for p in load(a.features, name)]
    names = feature_names(next(c for p in train for c in p["cands"]))
    w = fit(train, a.l2, a.iterations)
    for name in [*a.train, *a.test]:
        probs = load(a.features, name)
        print(f"{name:24s} rule {rule_picks(probs):4d}  learned {picks(probs, w):4d}  of {len(probs)}")
    print(json.dumps({n: round(float(x), 3) for n, x in zip(names, w)}))
    if a.save:
        Path(a.save).write_text(json.dumps({n: float(x) for n, x in zip(names, w)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
