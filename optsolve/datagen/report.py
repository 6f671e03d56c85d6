"""``optsolve datagen report DIR``: what a datagen run produced, as terminal tables and PNG charts."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from optsolve.datagen.dedup import text_key
from optsolve.datagen.exports import LEVEL_RANK, SPLITS, read_jsonl
from optsolve.errors import DatagenError, InputError


def _quantiles(xs: list[float]) -> dict[str, float | int | None]:
    if not xs:
        return {"n": 0, "min": None, "p25": None, "p50": None, "p75": None, "p90": None, "p99": None,
                "max": None, "mean": None}
    s = sorted(xs)

    def q(p: float) -> float:
        i = (len(s) - 1) * p
        lo, hi = int(i), min(int(i) + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (i - lo)

    return {"n": len(s), "min": s[0], "p25": q(0.25), "p50": q(0.5), "p75": q(0.75), "p90": q(0.9),
            "p99": q(0.99), "max": s[-1], "mean": sum(s) / len(s)}


def load_manifest(d: Path) -> dict[str, Any]:
    path = d / "manifest.json"
    if not path.is_file():
        raise InputError(f"{d} has no manifest.json", hint="point at a directory written by `optsolve datagen`")
    try:
        m: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatagenError(f"{path} is not valid JSON ({exc.msg})") from exc
    return m


def build_report(d: Path) -> dict[str, Any]:
    m = load_manifest(d)
    files = m.get("files", [])
    shard_lines: list[dict[str, Any]] = []
    for f in files:
        if f["kind"] == "shard" and (d / f["path"]).is_file():
            shard_lines += read_jsonl(d / f["path"])
    records: list[dict[str, Any]] = []
    for f in files:
        if f["kind"] == "records" and (d / f["path"]).is_file():
            records += read_jsonl(d / f["path"])

    per_fam_level: dict[str, Counter[str]] = defaultdict(Counter)
    per_split: Counter[str] = Counter()
    for r in records:
        per_fam_level[r["family"]][r["level"]] += 1
        per_split[r.get("split", "?")] += 1

    outcomes = Counter(str(line["outcome"]) for line in shard_lines)
    lost: dict[str, Counter[str]] = defaultdict(Counter)
    for line in shard_lines:
        if line["outcome"] == "dropped":
            lost[line["family"]][str(line.get("reason"))] += 1
        elif line["outcome"] == "error":
            lost[line["family"]][f"error:{line.get('stage')}"] += 1
    generated_texts = [line["record"]["text"] for line in shard_lines if "record" in line]
    distinct_generated = len({text_key(t) for t in generated_texts})
    distinct_final = len({text_key(r["text"]) for r in records})

    complexity_by_level: dict[str, list[float]] = defaultdict(list)
    for r in records:
        complexity_by_level[r["level"]].append(float(r["complexity"]))
    solve_by_level: dict[str, list[float]] = defaultdict(list)
    for line in shard_lines:
        if line.get("solve_seconds") is not None:
            solve_by_level[line["level"]].append(float(line["solve_seconds"]))
    lv = sorted(set(complexity_by_level) | set(solve_by_level), key=lambda x: LEVEL_RANK.get(x, 9))

    valid = outcomes["kept"] + outcomes["hard"]
    fm = m.get("forward_modeling", {})
    return {
        "dir": str(d),
        "status": m.get("status"),
        "chunks": m.get("chunks"),
        "generated": len(shard_lines),
        "outcomes": dict(outcomes),
        "dropped": dict(Counter(str(line.get("reason")) for line in shard_lines if line["outcome"] == "dropped")),
        "errors": outcomes["error"],
        "lost_per_family": {f: dict(c) for f, c in sorted(lost.items())},
        "records": len(records),
        "per_family_level": {f: dict(c) for f, c in sorted(per_fam_level.items())},
        "per_split": {s: per_split.get(s, 0) for s in SPLITS},
        "distinct_text_ratio": {
            "generated": round(distinct_generated / len(generated_texts), 4) if generated_texts else None,
            "exported": round(distinct_final / len(records), 4) if records else None,
        },
        "verified_rate": {
            "solver": round(valid / len(shard_lines), 4) if shard_lines else None,
            "forward_modeling": fm.get("verified_rate") if fm.get("enabled") else None,
            "forward_modeling_enabled": bool(fm.get("enabled")),
        },
        "complexity": {level: _quantiles(complexity_by_level[level]) for level in lv},
        "solve_seconds": {level: _quantiles(solve_by_level[level]) for level in lv},
        "dedup": m.get("dedup"),
        "contamination": {k: v for k, v in (m.get("contamination") or {}).items() if k != "examples"},
        "generation": m.get("generation"),
        "splits": (m.get("splits") or {}).get("counts"),
        "_complexity_values": {k: v for k, v in complexity_by_level.items()},
        "_solve_values": {k: v for k, v in solve_by_level.items()},
    }


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def print_report(rep: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    con.print(f"[bold]datagen report[/bold] {rep['dir']}  status={rep['status']}  chunks={rep['chunks']}")
    con.print(f"generated {rep['generated']}  outcomes {rep['outcomes']}  dropped {rep['dropped']}  "
              f"generator errors {rep['errors']}  exported records {rep['records']}")

    levels = ["easy", "medium", "hard"]
    t = Table(title="records per family and level")
    t.add_column("family")
    for level in levels:
        t.add_column(level, justify="right")
    t.add_column("total", justify="right")
    totals: Counter[str] = Counter()
    for fam, c in rep["per_family_level"].items():
        t.add_row(fam, *(str(c.get(level, 0)) for level in levels), str(sum(c.values())))
        totals.update(c)
    t.add_row("[bold]all[/bold]", *(str(totals.get(level, 0)) for level in levels), str(sum(totals.values())))
    con.print(t)

    if rep.get("lost_per_family"):
        t = Table(title="instances dropped or failed, per family")
        t.add_column("family")
        t.add_column("reasons")
        for fam, c in rep["lost_per_family"].items():
            t.add_row(fam, ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
        con.print(t)

    t = Table(title="splits")
    for col in ("split", "records", "sft", "dpo pairs", "ranked lists"):
        t.add_column(col, justify="right" if col != "split" else "left")
    for split, c in (rep.get("splits") or {}).items():
        t.add_row(split, str(c["records"]), str(c["sft"]), str(c["dpo"]), str(c["ranked"]))
    con.print(t)

    vr, dr = rep["verified_rate"], rep["distinct_text_ratio"]
    t = Table(title="quality")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("distinct-text ratio (generated)", _fmt(dr["generated"], 4))
    t.add_row("distinct-text ratio (exported)", _fmt(dr["exported"], 4))
    t.add_row("solver-verified rate (valid / generated)", _fmt(vr["solver"], 4))
    t.add_row("forward-modeling verified rate",
              _fmt(vr["forward_modeling"], 4) if vr["forward_modeling_enabled"] else "not run (no --formalizer)")
    dd, cc = rep.get("dedup") or {}, rep.get("contamination") or {}
    t.add_row("dedup removed (exact / near)", f"{dd.get('exact', 0)} / {dd.get('near', 0)}")
    t.add_row("NL4Opt contamination removed (exact / near)", f"{cc.get('exact', 0)} / {cc.get('near', 0)}")
    con.print(t)

    for key, title, digits, scale in (("complexity", "complexity score by level", 4, 1.0),
                                      ("solve_seconds", "gold solve time by level (ms)", 3, 1000.0)):
        t = Table(title=title)
        cols = ("n", "min", "p25", "p50", "p75", "p90", "p99", "max", "mean")
        t.add_column("level")
        for col in cols:
            t.add_column(col, justify="right")
        for level, q in rep[key].items():
            t.add_row(level, *(_fmt(q[col] if col == "n" or q[col] is None else q[col] * scale, digits)
                               for col in cols))
        con.print(t)


def plot_report(rep: dict[str, Any], out_dir: Path) -> list[Path]:
    """PNG charts (matplotlib, Agg): records per family/level, complexity and solve-time histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    levels = ["easy", "medium", "hard"]

    fams = list(rep["per_family_level"])
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(fams) + 2), 4.5))
    bottom = [0] * len(fams)
    for level in levels:
        vals = [rep["per_family_level"][f].get(level, 0) for f in fams]
        ax.bar(fams, vals, bottom=bottom, label=level)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("records")
    ax.set_title("records per family and level")
    ax.tick_params(axis="x", rotation=75, labelsize=7)
    ax.legend()
    fig.tight_layout()
    p = out_dir / "records_per_family.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(p)

    for key, title, fname, log in (("_complexity_values", "complexity score", "complexity.png", False),
                                   ("_solve_values", "solve seconds", "solve_seconds.png", True)):
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for level in levels:
            xs = rep[key].get(level) or []
            if xs:
                if log:
                    xs = [max(x, 1e-5) for x in xs]
                    import numpy as np
                    bins: Any = np.logspace(np.log10(min(xs)), np.log10(max(xs)) + 1e-9, 30)
                    ax.set_xscale("log")
                else:
                    bins = 30
                ax.hist(xs, bins=bins, alpha=0.55, label=f"{level} (n={len(xs)})")
        ax.set_xlabel(title)
        ax.set_ylabel("count")
        ax.set_title(f"{title} by level")
        ax.legend()
        fig.tight_layout()
        p = out_dir / fname
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    oc = rep["outcomes"]
    ax.bar(list(oc), list(oc.values()), color="tab:gray")
    ax.set_title("instance outcomes")
    fig.tight_layout()
    p = out_dir / "outcomes.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(p)
    return paths
