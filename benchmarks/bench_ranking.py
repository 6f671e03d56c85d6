"""How the embedded model's candidates should be ranked: greedy-first, voting, number coverage.

    python benchmarks/bench_ranking.py --data runs/dg_eval2/records/test.jsonl --samples 7
    python benchmarks/bench_ranking.py --data runs/nl4opt_dev.jsonl --samples 31 --relax

For every problem the greedy candidate and ``--samples`` samples (T = 0.7) are drawn once, each is
decoded, compiled and solved, and whether it is right (strict rule) is kept with its objective and the
numbers of the text it uses. The ranking rules are then replayed on those same candidates, so they are
compared on identical draws:

* ``adaptive``: the greedy candidate when it solves, else the vote (the embedded backend's rule until
  session 7; it now draws 16 and votes, ``vote@16``);
* ``vote@K``: the largest group of equal objectives among the first K candidates (greedy breaks ties);
* ``coverage@K``: as vote, but groups whose candidates use every number of the text first;
* ``share@K``: as vote, but groups by the share of the text's numbers they use first, more first (the
  embedded backend's rule since session 10: :func:`optsolve.train.runtime.vote` given ``n_numbers``);
* ``grounded@K``: as share, with the share weighed by the bindings of numbers to variables the text's
  sentences support and by the rows whose numbers share a unit, then comparisons between two variables
  the text agrees with, before the vote (the
  embedded backend's ranking since session 12: :func:`optsolve.train.runtime.vote` given ``text``);
* ``repaired@K``: as grounded, with the candidates' text-guided repairs added first (a comparison the text
  states the other way round, a bound on the wrong item, a coefficient another number of the same item
  fits its row better; :func:`optsolve.train.runtime.repaired_candidates`,
  the embedded backend's rule since session 12), each solved once;
* ``logp@K``: the objective group holding the candidate the formalizer itself finds likeliest (its
  sequence log-probability, untempered);
* ``verifier@K``: the objective group whose best candidate the learned verifier scores highest
  (``optsolve train verifier``; only when the model ships one, or with ``--verifier DIR``);
* ``oracle@K``: some candidate among the first K is right (the ceiling of any ranking); ``oracle+repaired@K``
  with their repairs.

``--dump FILE`` keeps the candidates (JSONL) for other rules; ``--replay FILE`` reads such a dump
instead of drawing (no model is loaded).

``agreement@K`` is the calibration of the confidence the embedded backend reports (the share of the K
candidates in the voted group): for each band of that share, how many problems fell in it and how many
of them the vote answered right.

``misses@K`` sorts the problems ``repaired@K`` gets wrong: right once the picked candidate's integer
variables are made continuous (an LP optimum as gold), right once its continuous ones are made integer,
a right candidate among the K and their repairs that the ranking does not pick, or none.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any


def pick(item: dict[str, Any], rule: str, k: int) -> Any:
    """The candidate ``rule`` puts first among the first ``k`` (None when none solves). Voting is the
    embedded backend's own :func:`optsolve.train.runtime.vote`; coverage re-sorts its groups, stably."""
    from optsolve.train.runtime import vote

    if rule == "escalate":
        # the backend's draw-again rule on a dump of k = 32 + ESCALATE candidates: the pick among the
        # first k - ESCALATE, unless the text finds something wrong with it; then the pick among all k
        from optsolve.train.runtime import ESCALATE, draws_again, replaces

        first = pick(item, "repaired", k - ESCALATE) if k > ESCALATE else None
        if not draws_again(first):
            return first
        fit = first.fit if first is not None else None        # read before the second vote resets it
        again = pick(item, "repaired", k)
        return first if first is not None and not replaces(again, fit) else again
    cands = item["cands"][:k]
    if rule == "adaptive" and cands and cands[0].ok:
        return cands[0]
    if rule == "verifier":
        from optsolve.train.verifier import rank_by_score

        solved = [c for c in cands if c.ok and c.score is not None]
        order = rank_by_score([c.objective for c in solved], [c.score for c in solved])
        return solved[order[0]] if order else None
    if rule == "repaired":
        cands = cands + repairs(item, cands)
    ranked = [c for c in vote(cands, n_numbers=item["n_values"] if rule in ("share", "grounded", "repaired") else 0,
                              text=item["text"] if rule in ("grounded", "repaired") else None) if c.ok]
    if not ranked:
        return None
    if rule == "logp":
        return max(ranked, key=lambda c: c.logp if c.logp is not None else -math.inf)
    if rule == "coverage":
        full = {c.objective for c in ranked if c.used == item["n_values"]}

        def key(c: Any) -> tuple[bool, bool, bool]:
            return (not (c.formulation and c.formulation.get("objective")), abs(c.objective) < 1e-9,
                    c.objective not in full)

        ranked.sort(key=key)
    return ranked[0]


def repairs(item: dict[str, Any], cands: list[Any]) -> list[Any]:
    """The text-guided repairs of ``cands`` (the embedded backend's
    :func:`optsolve.train.runtime.repaired_candidates`), each solved once per problem and marked right or
    wrong."""
    from optsolve.train.evaluate import strict_match
    from optsolve.train.runtime import repaired_candidates

    cache = item.setdefault("_repairs", {})
    out: list[Any] = []
    for c in cands:
        if c.compact not in cache:
            fixed = repaired_candidates([c], item["text"], item["values"])
            for r in fixed:
                r.right = strict_match(r.objective if r.ok else None, float(item["answer"]))
            cache[c.compact] = fixed
        for r in cache[c.compact]:
            if all(r.compact != x.compact for x in [*cands, *out]):
                out.append(r)
    return out


def draw(model: Any, item: dict[str, Any], samples: int, relax: bool, seed: int = 0,
         temperature: float = 0.7) -> dict[str, Any]:
    from optsolve.train.evaluate import strict_match
    from optsolve.train.runtime import check_all, numbers_used, text_domains

    text = item["question"]
    g, values = model.generate(text, k=1, seed=seed, max_seconds=6.0)
    cands = list(g.candidates)
    if samples:
        s, _ = model.generate(text, k=samples, seed=seed, max_seconds=12.0, greedy=False, temperature=temperature)
        cands += s.candidates
    # as the embedded backend: a text that says its quantities are whole numbers is solved in integers,
    # any other in reals
    relax, integral = text_domains(text, relax)
    check_all(cands, values, relax=relax, integral=integral)
    for c in cands:
        c.used = len(numbers_used(c.compact))
        c.right = strict_match(c.objective if c.ok else None, float(item["answer"]))
    solved = [c for c in cands if c.ok and c.steps]
    if getattr(model, "verifier", None) is not None and solved:
        for c, sc in zip(solved, model.score(text, solved)):
            c.score = sc
    return {"id": item["id"], "answer": item["answer"], "n_values": len(values), "values": values,
            "text": text, "cands": cands}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--data", help="records (text + formulation) or bench rows (question, answer)")
    ap.add_argument("--samples", type=int, default=7, help="samples drawn besides the greedy candidate")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (the greedy candidate does not depend on it)")
    ap.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (the backend's: 0.7)")
    ap.add_argument("--relax", action="store_true", help="integer variables made continuous (NL4Opt's optima)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--verifier", default=None, help="a verifier directory (`optsolve train verifier --out`) "
                    "to rank with instead of the one shipped beside the model")
    ap.add_argument("--dump", default=None, help="write every problem's candidates here (JSONL)")
    ap.add_argument("--replay", default=None, help="read the candidates of an earlier --dump instead of drawing")
    ap.add_argument("--no-report", action="store_true", help="with --dump: draw and write the dump, skip the "
                    "rules' report (it replays every rule at every K, which takes as long as the draw)")
    args = ap.parse_args()
    if args.replay:
        drawn = replay(args.replay, args.limit)
        return report_on(drawn, len(drawn[0]["cands"]) if drawn else 0, args.relax, verifier=False)
    if not args.data:
        ap.error("give --data (problems to draw candidates for) or --replay (a --dump file)")

    from tqdm import tqdm

    from optsolve.formalize.backends.embedded import default_model_dir
    from optsolve.train.common import read_jsonl, set_threads
    from optsolve.train.evaluate import items_from
    from optsolve.train.pointer import load_formalizer

    set_threads(args.threads)
    model = load_formalizer(args.model or default_model_dir())
    if args.verifier:
        from optsolve.train.verifier import load_verifier

        model.verifier = load_verifier(args.verifier, model.model)
    has_verifier = getattr(model, "verifier", None) is not None
    items = items_from(read_jsonl(args.data))[: args.limit]
    drawn = [draw(model, it, args.samples, args.relax, args.seed, args.temperature) for it in tqdm(items, desc="draw", mininterval=5)]
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            for d in drawn:
                f.write(json.dumps({**d, "cands": [
                    {"greedy": c.greedy, "ok": c.ok, "objective": c.objective, "used": c.used, "right": c.right,
                     "logp": c.logp, "score": c.score, "steps": c.steps, "compact": c.compact, "status": c.status,
                     "formulation": c.formulation}
                    for c in d["cands"]]}) + "\n")
        if args.no_report:
            return 0
    return report_on(drawn, 1 + args.samples, args.relax, verifier=has_verifier)


def replay(path: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The problems of a ``--dump`` file, their candidates as attribute objects ``pick`` can rank. The
    candidates of a text that says its quantities are whole numbers are solved again in integers, as the
    embedded backend solves them since session 13, and those of any other text in reals, as since
    session 15 (dumps drawn before kept the declared domains; solving again is a no-op on later ones)."""
    from types import SimpleNamespace

    from optsolve.train.evaluate import strict_match
    from optsolve.train.grounding import read
    from optsolve.train.runtime import Candidate, check_candidate, text_domains

    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            d["cands"] = [SimpleNamespace(**{"score": None, "logp": None, "steps": None, "repaired": False, **c}, votes=0)
                          for c in d["cands"]]
            relax, integral = text_domains(d["text"])
            reading = read(d["text"])
            for c in d["cands"]:
                if c.formulation is None:
                    continue
                if (apart := reading.names_apart(c.compact)) is not None:     # as the backend names them
                    c.compact = apart
                again = Candidate(c.compact)
                check_candidate(again, d["values"], integral=integral, relax=relax)
                c.ok, c.objective, c.formulation, c.status = again.ok, again.objective, again.formulation, again.status
                c.right = strict_match(c.objective if c.ok else None, float(d["answer"]))
            out.append(d)
            if limit is not None and len(out) >= limit:
                break
    return out


# bands of the voted group's share of the candidates, by label (the last one takes a share of 1)
BANDS = {"0.00-0.25": (0.0, 0.25), "0.25-0.50": (0.25, 0.5), "0.50-0.75": (0.5, 0.75), "0.75-1.00": (0.75, 1.01)}


def misses(drawn: list[dict[str, Any]], k: int) -> dict[str, int]:
    """The wrong picks of ``repaired@k``, by kind (see the module's docstring)."""
    from optsolve.train.evaluate import strict_match
    from optsolve.train.runtime import Candidate, check_candidate

    def right_as(compact: str, d: dict[str, Any], **how: bool) -> bool:
        c = Candidate(compact)
        check_candidate(c, d["values"], **how)
        return strict_match(c.objective if c.ok else None, float(d["answer"]))

    out = {"integrality: right relaxed": 0, "integrality: right in integers": 0, "right candidate not picked": 0,
           "no right candidate": 0, "none solved": 0}
    for d in drawn:
        top = pick(d, "repaired", k)
        if top is not None and top.right:
            continue
        if top is None:
            out["none solved"] += 1
        elif right_as(top.compact, d, relax=True):
            out["integrality: right relaxed"] += 1
        elif right_as(top.compact, d, integral=True):
            out["integrality: right in integers"] += 1
        elif any(c.right for c in d["cands"][:k] + repairs(d, d["cands"][:k])):
            out["right candidate not picked"] += 1
        else:
            out["no right candidate"] += 1
    return out


def report_on(drawn: list[dict[str, Any]], total: int, relax: bool, *, verifier: bool) -> int:
    n = len(drawn)
    if not n:
        print("no problems", file=sys.stderr)
        return 1
    ks = sorted({k for k in (1, 4, 8, 16, 32, total) if k <= total})
    report: dict[str, Any] = {"items": n, "candidates": total, "relax": relax}
    report["adaptive"] = sum(bool((p := pick(d, "adaptive", total)) and p.right) for d in drawn) / n
    for k in ks:
        for rule in ("vote", "coverage", "share", "grounded", "repaired", "logp") + (("verifier",) if verifier else ()):
            report[f"{rule}@{k}"] = sum(bool((p := pick(d, rule, k)) and p.right) for d in drawn) / n
        report[f"oracle@{k}"] = sum(any(c.right for c in d["cands"][:k]) for d in drawn) / n
        report[f"oracle+repaired@{k}"] = sum(any(c.right for c in d["cands"][:k] + repairs(d, d["cands"][:k]))
                                             for d in drawn) / n
    bands: dict[str, list[int]] = {label: [0, 0] for label in [*BANDS, "none solved"]}
    for d in drawn:
        top = pick(d, "repaired", total)
        if top is None:
            bands["none solved"][0] += 1
            continue
        share = top.votes / len(d["cands"][:total])          # votes count drawn candidates only
        band = bands[next(label for label, (lo, hi) in BANDS.items() if lo <= share < hi)]
        band[0] += 1
        band[1] += bool(top.right)
    report[f"agreement@{total}"] = {b: {"items": c[0], "right": c[1]} for b, c in bands.items() if c[0]}
    report[f"misses@{total}"] = misses(drawn, total)
    json.dump({k: round(v, 4) if isinstance(v, float) else v for k, v in report.items()}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
