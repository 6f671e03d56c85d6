"""Seed families: deterministic, valid, solvable, varied, and harder at higher levels."""

from __future__ import annotations

import random
import re
import statistics

import pytest

from optsolve.datagen.base import LEVELS, Family, Instance, complexity, get_family
from optsolve.datagen.families import FAMILIES
from optsolve.datagen.families.wordprob import WordFamily
from optsolve.errors import DatagenError
from optsolve.formulation import compile_model, load_formulation
from optsolve.solvers import SolveOptions, solve

NAMES = sorted(FAMILIES)


def gen(name: str, level: str, seed: int) -> Instance:
    return FAMILIES[name].generate(random.Random(seed), level)  # type: ignore[arg-type]


def test_registry_has_forty_families_of_every_kind() -> None:
    assert len(FAMILIES) >= 40
    kinds = {f.kind for f in FAMILIES.values()}
    assert {"lp", "milp", "qp", "nlp", "sat", "maxsat", "cp"} <= kinds
    for name, fam in FAMILIES.items():
        assert isinstance(fam, Family) and fam.name == name and fam.description and len(fam.templates) >= 2
        assert all(t.startswith(name + ".") for t in fam.templates)


def test_every_declared_template_is_used() -> None:
    for name, fam in FAMILIES.items():
        seen = {gen(name, lvl, s).template for lvl in LEVELS for s in range(40)}
        assert seen == set(fam.templates), (name, seen)


def test_unknown_family_lists_known_names() -> None:
    with pytest.raises(DatagenError) as ei:
        get_family("no_such_family")
    assert "product_mix" in str(ei.value) and "no_such_family" in str(ei.value)
    assert get_family("product_mix") is FAMILIES["product_mix"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("level", LEVELS)
def test_deterministic_valid_and_compiles(name: str, level: str) -> None:
    fam = FAMILIES[name]
    for seed in (1, 2):
        a, b = gen(name, level, seed), gen(name, level, seed)
        assert a == b, "same seed must give the same instance"
        assert a.family == name and a.level == level
        assert a.template in fam.templates
        assert a.meta.get("kind")
        assert len(a.text) > 40
        gm = compile_model(load_formulation(a.formulation))
        assert gm.n_vars > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_sample_solves_to_optimal(name: str) -> None:
    statuses = []
    for level, seeds in (("easy", (11, 12)), ("medium", (13, 14)), ("hard", (15,))):
        for s in seeds:
            res = solve(gen(name, level, s).formulation, SolveOptions(time_limit=20))
            statuses.append(res.status.value)
    assert statuses.count("optimal") >= len(statuses) - 1, statuses


@pytest.mark.parametrize("name", NAMES)
def test_texts_are_distinct_across_seeds(name: str) -> None:
    texts = [gen(name, "medium", s).text for s in range(30)]
    assert len(set(texts)) / len(texts) >= 0.9


@pytest.mark.parametrize("name", NAMES)
def test_complexity_grows_with_level(name: str) -> None:
    means = [statistics.mean(complexity(gen(name, lvl, s).formulation) for s in range(8)) for lvl in LEVELS]
    assert means[0] < means[1] < means[2], means


def test_word_problems_use_the_canonical_shape() -> None:
    word = [n for n, f in FAMILIES.items() if isinstance(f, WordFamily)]
    assert len(word) >= 12
    for name in word:
        for s in range(10):
            f = gen(name, "hard", s).formulation
            assert set(f) <= {"name", "variables", "objective", "constraints"}
            for v, d in f["variables"].items():
                assert re.fullmatch(r"x_[a-z0-9_]+", v) and "index" not in d
                assert d["domain"] in ("nonnegative_integers", "nonnegative_reals")


def test_word_problem_numbers_appear_in_text() -> None:
    """Every coefficient of a word problem is stated in its text (in some format)."""
    for s in range(20):
        inst = gen("product_mix", "medium", s)
        digits = re.sub(r"[,$]", "", inst.text)
        for c in inst.formulation["constraints"].values():
            rhs = c["expr"].split("<=")[-1].split(">=")[-1].strip()
            if re.fullmatch(r"[0-9.]+", rhs) and float(rhs) > 12:
                assert rhs in digits, (rhs, inst.text)


def test_complexity_static_fallback_orders_sizes() -> None:
    small = {"sets": {"I": {"range": [1, 3]}}, "variables": {"x": {"index": ["I"]}},
             "constraints": {"c": {"forall": "i in I", "expr": "x[i] <= 1"}}}
    big = {"sets": {"I": {"range": [1, 30]}}, "variables": {"x": {"index": ["I"]}},
           "constraints": {"c": {"forall": "i in I", "expr": "sum(x[j] for j in I) <= i"}}}
    assert complexity(small) < complexity(big)


_DIGEST = """
import hashlib, json, random
from optsolve.datagen.families import FAMILIES
h = hashlib.sha256()
for n in sorted(FAMILIES):
    for lvl in ("easy", "hard"):
        i = FAMILIES[n].generate(random.Random(3), lvl)
        h.update(json.dumps([i.template, i.text, i.formulation], sort_keys=True).encode())
print(h.hexdigest())
"""


def test_deterministic_across_processes() -> None:
    """Resumable batch runs need the same instance from the same seed in any process (hash seeds differ)."""
    import os
    import subprocess
    import sys

    outs = set()
    for hs in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hs}
        r = subprocess.run([sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, timeout=120,
                           check=True)
        outs.add(r.stdout.strip())
    assert len(outs) == 1


def _numbers_of(f: dict) -> list[float]:
    """Every number a gold formulation uses: parameter values, bounds, literals in expressions."""
    out: list[float] = []

    def walk(v: object) -> None:
        if isinstance(v, bool):
            return
        if isinstance(v, (int, float)):
            out.append(float(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for p in (f.get("parameters") or {}).values():
        walk(p["values"] if isinstance(p, dict) and "values" in p else p)
    for v in (f.get("variables") or {}).values():
        out += [float(v[k]) for k in ("lb", "ub") if v.get(k) is not None]
    exprs = [c["expr"] for c in (f.get("constraints") or {}).values()]
    if f.get("objective"):
        exprs.append(f["objective"]["expr"])
    for e in exprs:
        e = re.sub(r"'[^']*'", "", re.sub(r"\[[^\]]*\]", "", e))
        out += [float(m.group(1)) for m in re.finditer(r"(?<![A-Za-z_0-9.])(\d+(?:\.\d+)?)", e)]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_gold_numbers_can_be_copied_from_the_text(name: str) -> None:
    """The embedded model copies numbers from the text (optsolve.train.numbers): every number of the gold
    model other than 0, 1, 2 must be one the text states, in a format the number masker reads."""
    numbers = pytest.importorskip("optsolve.train.numbers")
    for lvl in LEVELS:
        for s in range(4):
            inst = gen(name, lvl, s)
            vals = numbers.mask_numbers(inst.text, limit=10**6).values
            for x in _numbers_of(inst.formulation):
                if x in (0, 1, 2):
                    continue
                assert any(abs(x - v) <= 1e-6 * max(1, abs(v)) for v in vals), (x, inst.template, inst.text)


def test_complexity_of_dict_equals_complexity_of_its_ground_model() -> None:
    for name in ("product_mix", "lot_sizing", "job_shop", "portfolio_qp", "feature_selection_maxsat"):
        f = gen(name, "medium", 5).formulation
        assert complexity(f) == complexity(compile_model(load_formulation(f))) > 0


def test_bigm_terms_are_counted() -> None:
    from optsolve.datagen.complexity import counts

    c = counts(gen("lot_sizing", "medium", 1).formulation)      # make[t] <= capacity * setup[t]
    assert c["bigm"] >= 5
    c = counts(gen("job_shop", "medium", 1).formulation)        # disjunctions
    assert c["bigm"] > 0
    assert counts(gen("product_mix", "medium", 1).formulation)["bigm"] == 0


WORD_NAMES = sorted(n for n, f in FAMILIES.items() if isinstance(f, WordFamily))


def test_variety_off_draws_exactly_what_it_always_drew() -> None:
    """With variety off and texts of version 1 the word families draw the very texts they drew before the
    extra phrasings existed (a fingerprint taken at commit f471114), so the data the shipped model was
    trained on and the evaluation sets made before text version 2 can be drawn again; an extra phrasing
    that consumes a random draw when off breaks this."""
    import hashlib

    h = hashlib.sha256()
    for name in WORD_NAMES:
        fam = FAMILIES[name].with_texts(1)
        assert isinstance(fam, WordFamily) and not fam.variety and fam.varied().variety
        for s in range(5):
            for lvl in ("easy", "medium", "hard"):
                h.update(fam.generate(random.Random(s), lvl).text.encode())  # type: ignore[arg-type]
    assert h.hexdigest() == "e04abf7621d76e72ad90e7156f2be1d8d57ea8cc3d97e0c6e1ccebb0a9a06e1b"


@pytest.mark.parametrize("name", WORD_NAMES)
def test_texts_2_say_when_the_quantities_are_whole_numbers(name: str) -> None:
    """Text version 2 (the default): a word problem whose gold counts whole items says so in its text and
    is never called "an LP"; the formulation is the one version 1 draws, and a text with continuous gold
    is version 1's text, unchanged."""
    from optsolve.train.grounding import declares_integers

    fam = FAMILIES[name]
    assert isinstance(fam, WordFamily) and fam.texts == 2 and fam.with_texts(2) is fam
    old = fam.with_texts(1)
    assert old.texts == 1 and fam.texts == 2          # a twin; the registered family is unchanged
    integer = 0
    for s in range(40):
        lvl = LEVELS[s % 3]
        new, was = fam.generate(random.Random(s), lvl), old.generate(random.Random(s), lvl)
        assert new.formulation == was.formulation
        doms = {v["domain"] for v in new.formulation["variables"].values()}
        if doms & {"integers", "nonnegative_integers"}:
            integer += 1
            assert declares_integers(new.text), new.text
            assert not re.search(r"\ban LP\b|\ba linear program\b", new.text), new.text
        else:
            assert not declares_integers(new.text) and new.text == was.text
    if fam.kind == "milp":
        assert integer > 0


def test_training_records_of_text_version_1_are_the_shipped_models_data() -> None:
    """``generate_records(..., texts=1)`` (``optsolve train embedded --texts 1``) draws the records the
    shipped model was trained on: the same ids, splits and formulations as version 2, and version 1's
    texts, which differ from version 2's only where the gold is integer."""
    from optsolve.train.prepare import generate_records

    fams = ["staffing", "energy_mix"]
    new, old = generate_records(12, seed=5, families=fams), generate_records(12, seed=5, families=fams, texts=1)
    assert new == generate_records(12, seed=5, families=fams, texts=2)
    for split in new:
        assert [r["id"] for r in new[split]] == [r["id"] for r in old[split]]
        for a, b in zip(new[split], old[split], strict=True):
            assert a["formulation"] == b["formulation"]
            integer = any(v["domain"] == "nonnegative_integers" for v in a["formulation"]["variables"].values())
            assert (a["text"] == b["text"]) or integer
    assert any(a["text"] != b["text"] for sp in new for a, b in zip(new[sp], old[sp], strict=True))


def test_unknown_text_version_is_refused() -> None:
    with pytest.raises(DatagenError, match="unknown text version 3"):
        FAMILIES["diet"].with_texts(3)
    with pytest.raises(DatagenError, match="unknown text version"):
        FAMILIES["knapsack"].with_texts(0)


@pytest.mark.parametrize("name", WORD_NAMES)
def test_varied_texts_are_new_valid_and_copyable(name: str) -> None:
    """With variety on, texts use the extra phrasings, the gold model stays valid and solvable, every gold
    number is still stated in the text, and the templates (the split plan's unit) are the same set."""
    numbers = pytest.importorskip("optsolve.train.numbers")
    fam = FAMILIES[name]
    assert isinstance(fam, WordFamily)
    twin = fam.varied()
    plain = {fam.generate(random.Random(s), lvl).text for s in range(30) for lvl in LEVELS}
    varied = [twin.generate(random.Random(s), lvl) for s in range(30) for lvl in LEVELS]
    assert sum(v.text not in plain for v in varied) >= len(varied) // 2
    assert {v.template.split(".")[1] for v in varied} <= set(WordFamily.styles)
    for inst in varied[:12]:
        res = solve(load_formulation(inst.formulation), SolveOptions(time_limit=10))
        assert res.status.has_solution, (inst.text, res.status)
        vals = numbers.mask_numbers(inst.text, limit=10**6).values
        for x in _numbers_of(inst.formulation):
            if x not in (0, 1, 2):
                assert any(abs(x - v) <= 1e-6 * max(1, abs(v)) for v in vals), (x, inst.text)


def test_training_records_with_variety_keep_the_split_plan() -> None:
    from optsolve.train.prepare import generate_records

    fams = ["product_mix", "diet"]
    plain = generate_records(30, seed=3, families=fams)
    varied = generate_records(30, seed=3, families=fams, variety=True)
    plan = {(r["family"], r["template"]): sp for sp in plain for r in plain[sp]}
    for split in varied:
        for r in varied[split]:
            assert plan[(r["family"], r["template"])] == split
    assert [r["text"] for r in plain["train"]] != [r["text"] for r in varied["train"]]


def test_training_records_mix_plain_and_varied_by_share() -> None:
    """``variety`` is a share: 0 gives the plain records, 1 the fully varied ones, and a share between
    takes each instance whole from one or the other (same ids, same split plan), near that share."""
    from optsolve.errors import InputError
    from optsolve.train.prepare import generate_records

    fams = ["product_mix", "diet"]
    plain = generate_records(60, seed=3, families=fams)
    assert generate_records(60, seed=3, families=fams, variety=0.0) == plain
    varied = generate_records(60, seed=3, families=fams, variety=1.0)
    assert generate_records(60, seed=3, families=fams, variety=True) == varied
    mixed = generate_records(60, seed=3, families=fams, variety=0.5)

    def by_id(recs: dict[str, list[dict[str, object]]]) -> dict[object, dict[str, object]]:
        return {r["id"]: r for sp in recs.values() for r in sp}

    p, v, m = by_id(plain), by_id(varied), by_id(mixed)
    assert set(m) <= set(p) | set(v)
    from_varied = sum(1 for k, r in m.items() if k in v and r == v[k] and (k not in p or r != p[k]))
    from_plain = sum(1 for k, r in m.items() if k in p and r == p[k])
    assert from_varied + from_plain == len(m)
    assert 0.3 * len(m) <= from_varied <= 0.7 * len(m)
    with pytest.raises(InputError, match=r"outside 0\.\.1"):
        generate_records(5, seed=3, families=fams, variety=1.5)


def test_gold_expressions_write_thirds_exactly() -> None:
    """A third rounded to 0.333333 is a tighter limit than the text's "at most a third": with 30 of 90
    containers it is infeasible, and the gold optimum came out below the text's (session 31)."""
    from optsolve.datagen.realize import clean, num

    assert num(1 / 3) == repr(1 / 3) and num(2 / 3) == repr(2 / 3) and clean(1 / 3) == 1 / 3
    assert num(0.35) == "0.35" and num(2.5) == "2.5" and num(3) == "3" and clean(0.35) == 0.35
    assert float(num(1 / 3)) * 90 >= 30 - 1e-9


def test_plural_verbs_of_respectively_sentences_are_english() -> None:
    """"Servings of oatmeal, cans of tuna, and eggs ha 25 grams of protein": a listed attribute's verb
    "has" lost only its "s" (session 35)."""
    from optsolve.datagen.realize import verb_plural

    assert verb_plural("has") == "have" and verb_plural("contains") == "contain"
    assert verb_plural("reaches") == "reach" and verb_plural("carries") == "carry"
    assert verb_plural("can carry") == "can carry" and verb_plural("is limited to") == "are limited to"


def test_texts_2_write_have_where_version_1_wrote_ha() -> None:
    """Text version 2 fixes the listed verb; version 1 keeps drawing the texts it drew (session 35)."""
    fam = FAMILIES["diet"]
    assert isinstance(fam, WordFamily)
    texts = {v: [fam.with_texts(v).generate(random.Random(s), "hard").text for s in range(60)] for v in (1, 2)}
    assert not any(" ha " in t for t in texts[2])
    assert any(" ha " in t for t in texts[1]) and any(" have " in t for t in texts[2])
