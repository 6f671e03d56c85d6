"""Training data for the embedded model, drawn from datagen's seed families.

Splits are datagen's (:func:`optsolve.datagen.exports.plan_splits`): whole families, and templates of
the other families, are held out of train into validation and test, so the test split measures
generalisation to unseen families and phrasings. Each row is a datagen record (``id``, ``family``,
``level``, ``template``, ``text``, ``formulation``); :mod:`optsolve.train.data` turns records into
compact SFT rows.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from optsolve.datagen.base import LEVELS, TEXTS
from optsolve.train.common import evenly_spaced, write_jsonl


def nl4opt_train_texts(path: str | Path) -> list[str]:
    """The problem texts of NL4Opt's NER training file (tokens one per line, documents separated by
    blank lines), detokenised. Texts only: no formulations, no answers."""
    docs: list[str] = []
    cur: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            continue
        if not line.strip():
            if cur:
                docs.append(_detok(cur))
                cur = []
            continue
        cur.append(line.split("\t")[0])
    if cur:
        docs.append(_detok(cur))
    return docs


def _detok(tokens: list[str]) -> str:
    s = " ".join(tokens)
    s = re.sub(r" ([.,;:!?%)])", r"\1", s)
    s = re.sub(r"([($]) ", r"\1", s)
    return s


def _draw_family(args: tuple[str, int, int, float, int]) -> list[tuple[str, int, dict[str, Any]]]:
    """Every instance of one family (a worker's job): ``(family, index, record fields)``.

    ``variety`` is the share of instances drawn with a word-problem family's extra phrasings
    (:meth:`WordFamily.varied`): 0 draws none (the plain records), 1 every one. Whether instance ``i``
    is varied comes from a generator of its own (``seed:family:i:variety``), so at share 0 the records
    are exactly the plain ones and at share 1 exactly the fully varied ones, and a mix takes each
    instance from one or the other. ``texts`` is the version of the texts
    (:data:`optsolve.datagen.base.TEXT_VERSIONS`)."""
    from optsolve.datagen.families import FAMILIES

    name, n_per_family, seed, variety, texts = args
    plain = FAMILIES[name].with_texts(texts)
    varied = getattr(plain, "varied", None)
    twin = varied() if variety > 0 and varied is not None else plain
    out = []
    for i in range(n_per_family):
        rng = random.Random(f"{seed}:{name}:{i}")
        fam = plain
        if variety >= 1 or (variety > 0 and random.Random(f"{seed}:{name}:{i}:variety").random() < variety):
            fam = twin
        try:
            inst = fam.generate(rng, LEVELS[i % 3])
        except Exception:  # a generator bug must not stop the run; datagen reports it
            continue
        out.append((name, i, {"family": inst.family, "level": inst.level, "template": inst.template,
                              "text": inst.text, "formulation": inst.formulation}))
    return out


def generate_records(n_per_family: int, seed: int = 0, families: list[str] | None = None,
                     workers: int = 1, split_seed: int = 0, variety: float = 0.0, texts: int = TEXTS
                     ) -> dict[str, list[dict[str, Any]]]:
    """``{"train": [...], "validation": [...], "test": [...]}`` records from datagen's families.

    Each instance is drawn from its own seeded generator (``seed:family:index``), so the records are
    the same whatever ``workers`` is. The held-out families and templates come from ``split_seed``
    alone, never from the data ``seed``: more data drawn with another seed (to continue training)
    must not move a test template into train. ``split_seed=0`` is datagen's default plan, the one
    the evaluation sets of ``optsolve datagen`` use. ``variety`` (a share, 0 to 1; ``True`` is 1) draws
    that share of instances with the word families' extra phrasings (same families, templates and split
    plan; other texts). ``texts`` is the version of the texts (1: those the shipped model was trained on).
    """
    from optsolve.datagen.exports import plan_splits
    from optsolve.datagen.families import FAMILIES

    names = sorted(families or FAMILIES)
    share = float(variety)
    if not 0.0 <= share <= 1.0:
        from optsolve.errors import InputError

        raise InputError(f"variety share {share} is outside 0..1", hint="give a share such as 0.5")
    jobs = [(name, n_per_family, seed, share, texts) for name in names]
    from optsolve.train.common import process_map

    parts = process_map(_draw_family, jobs, min(workers, len(names)), "drawing records")
    drawn = [d for part in parts for d in part]
    templates: dict[str, set[str]] = {n: set() for n in names}
    for name, _, rec in drawn:
        templates[name].add(rec["template"])
    plan = plan_splits({n: sorted(t) for n, t in templates.items()}, seed=split_seed)
    out: dict[str, list[dict[str, Any]]] = {"train": [], "validation": [], "test": []}
    for name, i, rec in drawn:
        split = plan.split_of(rec["family"], rec["template"])
        out[split].append({"id": f"{name}-{seed}-{i}", **rec})
    return out


def write_records(out_dir: str | Path, n_per_family: int, seed: int = 0,
                  families: list[str] | None = None, workers: int = 1,
                  max_held_out: int | None = None, split_seed: int = 0, variety: float = 0.0,
                  texts: int = TEXTS) -> dict[str, int]:
    """Write ``records_{train,validation,test}.jsonl``; ``max_held_out`` keeps an evenly spaced
    sample of at most that many validation and test records (evaluation reads only a few hundred)."""
    recs = generate_records(n_per_family, seed, families, workers, split_seed, variety, texts)
    counts = {}
    for split, rows in recs.items():
        if max_held_out and split != "train":
            rows = evenly_spaced(rows, max_held_out)
        counts[split] = write_jsonl(Path(out_dir) / f"records_{split}.jsonl", rows)
    return counts
