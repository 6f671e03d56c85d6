"""Corruptions, dedup/contamination, splits, export formats (TRL, LLaMA-Factory), report."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from optsolve.datagen import corrupt, dedup
from optsolve.datagen import exports as ex
from optsolve.datagen.engine import DatagenConfig, _solve, run_datagen

TESTS = Path(__file__).resolve().parent
FAMS = "test_datagen_engine_family"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture(autouse=True, scope="module")
def _tiny_families() -> Iterator[None]:
    """The tiny test families exist only while this module runs (and in the workers it starts)."""
    import test_datagen_engine_family as tfam

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(tfam.ENV, "1")
        tfam.register()
        try:
            yield
        finally:
            tfam.unregister()

GOLD = {
    "sets": {"P": ["a", "b"]},
    "parameters": {"profit": {"index": ["P"], "values": {"a": 3, "b": 5}}, "cap": 10},
    "variables": {"x": {"index": ["P"], "domain": "nonnegative_integers"}},
    "objective": {"sense": "maximize", "expr": "sum(profit[p] * x[p] for p in P)"},
    "constraints": {
        "cap": {"expr": "sum(x[p] for p in P) <= cap"},
        "mix": {"expr": "x['a'] >= 0.5 * x['b']"},
        "slack": {"expr": "x['a'] <= 1000"},
    },
}


def solve_fn(f: dict) -> tuple[str, float | None]:
    cfg = DatagenConfig(out=Path("/nonexistent"), time_limit=10)
    st, obj, _, _ = _solve(f, cfg)
    return st, obj


def cfg(out: Path, **kw: object) -> DatagenConfig:
    base: dict[str, object] = dict(out=out, families=["tiny_mix", "tiny_diet"], n=24, chunk_size=8, workers=0,
                                   family_modules=[FAMS], progress=False)
    base.update(kw)
    return DatagenConfig(**base)  # type: ignore[arg-type]


# --- corruptions -------------------------------------------------------------------------------------

def test_each_corruption_kind_applies_and_changes_the_model() -> None:
    rng = random.Random(0)
    for kind, fn in corrupt.CORRUPTIONS.items():
        c = fn(GOLD, rng)
        assert c is not None, kind
        assert c.kind == kind and c.formulation != GOLD and c.description
    assert GOLD["objective"]["sense"] == "maximize"  # the gold model is never mutated


def test_flip_sense_edits_only_the_operator() -> None:
    c = corrupt.flip_constraint_sense({"constraints": {"c": {"expr": "sum(x[p] for p in P) <= cap"}}},
                                      random.Random(0))
    assert c is not None and c.formulation["constraints"]["c"]["expr"] == "sum(x[p] for p in P) >= cap"


def test_relax_integrality_and_subscript_swap() -> None:
    c = corrupt.relax_integrality({"variables": {"y": {"domain": "binary"}}}, random.Random(0))
    assert c is not None and c.formulation["variables"]["y"] == {"domain": "nonnegative_reals", "ub": 1}
    f = {"constraints": {"flow": {"expr": "sum(c[i, j] * y[i, j] for i in I for j in J) <= 5"}}}
    s = corrupt.swap_index(f, random.Random(0))
    assert s is not None
    new = s.formulation["constraints"]["flow"]["expr"]
    assert new in ("sum(c[j, i] * y[i, j] for i in I for j in J) <= 5",
                   "sum(c[i, j] * y[j, i] for i in I for j in J) <= 5")


def test_verify_keeps_only_solver_proven_wrong_candidates() -> None:
    gold_st, gold_obj = solve_fn(GOLD)
    assert gold_st == "optimal"
    # dropping a slack constraint leaves the optimum unchanged: not a valid "rejected"
    same = {**GOLD, "constraints": {k: v for k, v in GOLD["constraints"].items() if k != "slack"}}
    v = corrupt.verify(same, gold_st, gold_obj, solve_fn)
    assert not v.wrong
    # minimising instead of maximising: optimum 0, wrong, a far miss
    flipped = corrupt.flip_objective_sense(GOLD, random.Random(0))
    assert flipped is not None
    v = corrupt.verify(flipped.formulation, gold_st, gold_obj, solve_fn)
    assert v.wrong and v.status == "optimal" and v.objective == 0 and v.score < 0.1
    # with no upper limit, the flipped sense is unbounded: wrong and invalid (score 0)
    free = dict(GOLD, constraints={"mix": GOLD["constraints"]["mix"]},
                objective={"sense": "minimize", "expr": "sum(profit[p] * x[p] for p in P)"})
    v = corrupt.verify(corrupt.flip_objective_sense(free, random.Random(0)).formulation,  # type: ignore[union-attr]
                       *solve_fn(free), solve_fn)
    assert v.wrong and v.status == "unbounded" and v.score == 0.0
    # a misread coefficient: a near miss with a score between 0 and 1
    wc = dict(GOLD, parameters={**GOLD["parameters"], "cap": 11})
    v = corrupt.verify(wc, gold_st, gold_obj, solve_fn)
    assert v.wrong and v.status == "optimal" and 0 < v.score < 1
    # one that does not compile is wrong with score 0
    broken = dict(GOLD, objective={"sense": "maximize", "expr": "sum(nope[p] for p in P)"})
    v = corrupt.verify(broken, gold_st, gold_obj, solve_fn)
    assert v.wrong and v.score == 0.0 and v.status == "error"


def test_matching_rule_is_strict() -> None:
    assert corrupt.objectives_match(100.0, 100.009)
    assert not corrupt.objectives_match(100.0, 100.02)
    assert corrupt.objectives_match(0.00005, 0.0)
    assert not corrupt.objectives_match(None, 1.0)
    assert corrupt.near_miss_score("optimal", 101.0, 100.0) > corrupt.near_miss_score("optimal", 150.0, 100.0)


# --- dedup and contamination -------------------------------------------------------------------------

def test_near_duplicate_index_exact_near_and_distinct() -> None:
    a = ("A bakery makes cakes and pies. Each cake needs 3 hours of oven time and each pie 2 hours; the oven "
         "is available 40 hours a week. Cakes earn $5 and pies $4. How many of each maximize profit?")
    idx = dedup.NearDupIndex(threshold=0.8)
    idx.add("a", a)
    m = idx.query(a.upper().replace(".", " ."))
    assert m is not None and m.kind == "exact"
    m = idx.query(a.replace("40 hours", "41 hours"))
    assert m is not None and m.kind == "near" and m.similarity >= 0.8
    other = ("A shipping firm moves crates by truck or train. Trucks carry 20 crates for $300, trains 90 "
             "crates for $1,100; at least 500 crates must move and at most 4 trains run. Minimize cost.")
    assert idx.query(other) is None


def test_reference_texts_read_both_nl4opt_formats(tmp_path: Path) -> None:
    (tmp_path / "generation_dev.jsonl").write_text(json.dumps({"-1": {"document": "Doc one text."}}) + "\n")
    (tmp_path / "ner_train.txt").write_text("-DOCSTART-\t_\t_\tO\n\nMake\t_\t_\tO\n$\t_\t_\tO\n5\t_\t_\tO\n\n"
                                            "Other\t_\t_\tO\ndoc\t_\t_\tO\n")
    refs = dedup.reference_texts(tmp_path)
    assert [t for _, t in refs] == ["Doc one text.", "Make $ 5", "Other doc"]


def test_real_nl4opt_corpus_is_found_and_contamination_is_dropped(tmp_path: Path) -> None:
    from optsolve.datagen.engine import default_reference_dir

    if not dedup.reference_texts(default_reference_dir()):
        pytest.skip("NL4Opt texts not present")
    out = tmp_path / "d"
    run_datagen(cfg(out, families=["tiny_mix", "tiny_copy"], n=12))
    m = json.loads((out / "manifest.json").read_text())
    c = m["contamination"]
    assert c["reference_texts"] > 500
    assert c["exact"] + c["near"] == 6   # every tiny_copy text nearly repeats an NL4Opt document
    recs = [r for p in (out / "records").glob("*.jsonl") for r in ex.read_jsonl(p)]
    assert recs and all(r["family"] == "tiny_mix" for r in recs)


def test_duplicates_dropped_within_and_across_splits(tmp_path: Path) -> None:
    out = tmp_path / "d"
    # the same seed twice: a "family" list with a duplicate is de-duplicated, so use two runs' shards:
    # tiny_copy texts differ only by one number, so they are near duplicates of each other too
    run_datagen(cfg(out, families=["tiny_copy"], n=6, reference_dir=tmp_path / "none"))
    m = json.loads((out / "manifest.json").read_text())
    assert "skipped" in m["contamination"]["note"]
    assert m["dedup"]["exact"] + m["dedup"]["near"] >= 1
    texts = [r["text"] for p in (out / "records").glob("*.jsonl") for r in ex.read_jsonl(p)]
    idx = dedup.NearDupIndex(threshold=0.8)
    for n, t in enumerate(texts):
        assert idx.query(t) is None
        idx.add(str(n), t)


# --- splits ------------------------------------------------------------------------------------------

def test_plan_splits_holds_families_and_templates_apart_in_proportion() -> None:
    templates = {f"f{i}": [f"t{j}" for j in range(2 + i % 4)] for i in range(40)}
    plan = ex.plan_splits(templates, seed=0, val_frac=0.1, test_frac=0.2)
    share = {"train": 0.0, "validation": 0.0, "test": 0.0}
    for fam, tpls in templates.items():
        for t in tpls:
            share[plan.split_of(fam, t)] += 1 / (len(templates) * len(tpls))
    assert abs(share["test"] - 0.2) < 0.02 and abs(share["validation"] - 0.1) < 0.02
    test_f = [f for f, s in plan.family.items() if s == "test"]
    val_f = [f for f, s in plan.family.items() if s == "validation"]
    assert len(test_f) == 4 and len(val_f) == 2 and not set(test_f) & set(val_f)
    assert {s for s in plan.template.values()} == {"test", "validation"}
    for fam, tpls in templates.items():   # every training family keeps a training template
        if fam not in plan.family:
            assert any(plan.split_of(fam, t) == "train" for t in tpls)
    assert ex.plan_splits(templates, seed=0).to_dict() == ex.plan_splits(templates, seed=0).to_dict()
    assert ex.plan_splits(templates, seed=0).to_dict() != ex.plan_splits(templates, seed=3).to_dict()
    named = ex.plan_splits(templates, test_families=["f3"], val_families=["f4"], by=("family",))
    assert named.family == {"f3": "test", "f4": "validation"} and not named.template
    fam_only = ex.plan_splits(templates, test_frac=0.2, val_frac=0.1, by=("family",))
    assert sum(1 for s in fam_only.family.values() if s == "test") == 8 and not fam_only.template


def test_no_test_family_or_template_in_train(tmp_path: Path) -> None:
    out = tmp_path / "d"
    run_datagen(cfg(out, families=["tiny_mix", "tiny_diet", "tiny_boom"], n=45, levels=["easy"]))
    by = {s: ex.read_jsonl(out / "records" / f"{s}.jsonl") for s in ("train", "validation", "test")}
    assert all(by.values())
    train_fams = {r["family"] for r in by["train"]}
    train_tpl = {(r["family"], r["template"]) for r in by["train"]}
    for split in ("validation", "test"):
        for r in by[split]:
            assert r["split"] == split
            assert (r["family"], r["template"]) not in train_tpl
        held_fams = {r["family"] for r in by[split]} - {r["family"] for r in by["train"]}
        assert held_fams.isdisjoint(train_fams)


# --- formats -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ds") / "d"
    run_datagen(cfg(out, n=36, parquet=True, curriculum=True))
    return out


def test_sft_and_dpo_rows_are_trl_conversational(dataset: Path) -> None:
    from trl.data_utils import is_conversational

    sft = ex.read_jsonl(dataset / "sft" / "train.jsonl")
    dpo = ex.read_jsonl(dataset / "dpo" / "train.jsonl")
    assert sft and dpo
    for row in sft:
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        json.loads(row["messages"][2]["content"])        # the formulation, compact JSON
        assert ": " not in row["messages"][2]["content"].split('"expr"')[0]
        assert is_conversational(row)
    for row in dpo:
        assert is_conversational(row)
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        assert row["chosen"][0]["role"] == row["rejected"][0]["role"] == "assistant"
        assert row["chosen"][0]["content"] != row["rejected"][0]["content"]


def test_trl_applies_a_chat_template_to_our_rows(dataset: Path) -> None:
    """What DPOTrainer / SFTTrainer do to a conversational row, with a local word-level tokenizer."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from trl.data_utils import maybe_apply_chat_template

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "[PAD]": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    t = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")
    t.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
                       "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    dpo = ex.read_jsonl(dataset / "dpo" / "train.jsonl")[0]
    out = maybe_apply_chat_template(dpo, t)
    assert out["prompt"].startswith("<|system|>") and out["prompt"].endswith("<|assistant|>")
    assert json.loads(out["chosen"]) and json.loads(out["rejected"]) != json.loads(out["chosen"])
    sft = ex.read_jsonl(dataset / "sft" / "train.jsonl")[0]
    text = maybe_apply_chat_template({"messages": sft["messages"]}, t)["text"]
    assert "<|user|>" in text and "<|assistant|>{" in text


def test_rejected_answers_are_verified_wrong_by_the_solver(dataset: Path) -> None:
    from optsolve.solvers import SolveOptions, solve

    recs = {r["id"]: r for p in (dataset / "records").glob("*.jsonl") for r in ex.read_jsonl(p)}
    dpo = ex.read_jsonl(dataset / "dpo" / "train.jsonl")
    for row in random.Random(1).sample(dpo, 8):
        rec = recs[row["id"].split("#")[0]]
        rej = json.loads(row["rejected"][0]["content"])
        try:
            res = solve(rej, SolveOptions(time_limit=10, explain=False))
            agree = corrupt.same_outcome(rec["status"], rec["objective"], res.status.value, res.objective)
        except Exception:
            agree = False
        assert not agree, row["rejected_kind"]


def test_ranked_lists_gold_first_scores_descending(dataset: Path) -> None:
    rows = ex.read_jsonl(dataset / "ranked" / "train.jsonl")
    assert rows
    kinds: set[str] = set()
    for r in rows:
        assert r["scores"][0] == 1.0 and r["kinds"][0] == "gold"
        assert r["scores"] == sorted(r["scores"], reverse=True)
        assert all(0.0 <= s < 1.0 for s in r["scores"][1:])
        assert len(r["completions"]) == len(r["scores"]) >= 2
        kinds.update(r["kinds"][1:])
    assert len(kinds) >= 4


def test_curriculum_orders_train_from_easy_to_hard(dataset: Path) -> None:
    for kind in ("sft", "ranked", "dpo"):
        rows = ex.read_jsonl(dataset / kind / "train.jsonl")
        if kind == "sft":
            recs = {r["id"]: r for r in ex.read_jsonl(dataset / "records" / "train.jsonl")}
            rows = [recs[r["id"]] for r in rows]
        keys = [ex.curriculum_key(r) for r in rows]
        assert keys == sorted(keys)
    levels = [r["level"] for r in ex.read_jsonl(dataset / "records" / "train.jsonl")]
    assert levels[0] == "easy" and levels[-1] == "hard"


def test_exports_load_with_datasets_and_parquet(dataset: Path) -> None:
    datasets = pytest.importorskip("datasets")
    import pyarrow.parquet as pq

    for kind in ("sft", "dpo", "ranked"):
        ds = datasets.load_dataset("json", data_files=str(dataset / kind / "train.jsonl"), split="train")
        assert len(ds) == len(ex.read_jsonl(dataset / kind / "train.jsonl"))
    t = pq.read_table(dataset / "parquet" / "records_train.parquet")
    assert t.num_rows == len(ex.read_jsonl(dataset / "records" / "train.jsonl"))
    json.loads(t.column("formulation")[0].as_py())


def test_llamafactory_dataset_info(dataset: Path) -> None:
    info = json.loads((dataset / "dataset_info.json").read_text())
    sft = info["optsolve_sft_train"]
    assert sft["formatting"] == "sharegpt" and sft["columns"] == {"messages": "messages"}
    assert sft["tags"]["system_tag"] == "system"
    dpo = info["optsolve_dpo_train"]
    assert dpo["ranking"] is True
    row = ex.read_jsonl(dataset / dpo["file_name"])[0]
    assert set(dpo["columns"].values()) <= set(row)
    assert isinstance(row["chosen"], str) and isinstance(row["rejected"], str)


def test_manifest_lists_every_export_with_sha(dataset: Path) -> None:
    m = json.loads((dataset / "manifest.json").read_text())
    listed = {f["path"] for f in m["files"]}
    on_disk = {str(p.relative_to(dataset)) for p in dataset.rglob("*") if p.is_file()
               and p.name not in ("manifest.json", "journal.jsonl", "run.json", ".lock")}
    assert on_disk == listed
    for f in m["files"]:
        assert ex.sha256_file(dataset / f["path"]) == f["sha256"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "f.json"
    ex.atomic_write_bytes(p, b"old")

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex.os, "fsync", boom)
    with pytest.raises(OSError):
        ex.atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"old"
    assert [q.name for q in tmp_path.iterdir()] == ["f.json"]


def test_journal_ignores_a_torn_last_line(tmp_path: Path) -> None:
    j = ex.Journal(tmp_path / "journal.jsonl")
    j.append({"chunk": 0})
    with open(j.path, "ab") as fh:
        fh.write(b'{"chunk": 1, "pa')
    assert [e["chunk"] for e in j.read()] == [0]
    j.append({"chunk": 2})
    assert [e["chunk"] for e in j.read()] == [0, 2]


# --- report and CLI ----------------------------------------------------------------------------------

def test_cli_datagen_and_report_with_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from optsolve.cli.main import main

    out = tmp_path / "d"
    rc = main(["datagen", "--families", "tiny_mix,tiny_diet", "--n", "18", "--out", str(out), "--workers", "0",
               "--family-module", FAMS, "--chunk-size", "6", "--no-progress"])
    assert rc == 0
    assert "records" in capsys.readouterr().out
    rc = main(["datagen", "report", str(out), "--plot"])
    assert rc == 0
    text = capsys.readouterr().out
    for needle in ("records per family and level", "tiny_mix", "distinct-text ratio", "solver-verified rate",
                   "complexity score by level", "gold solve time by level (ms)", "not run (no --formalizer)"):
        assert needle in text
    pngs = sorted(p.name for p in (out / "report").glob("*.png"))
    assert pngs == ["complexity.png", "outcomes.png", "records_per_family.png", "solve_seconds.png"]
    assert all((out / "report" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    rc = main(["datagen", "report", str(out), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rep["generated"] == 18 and rep["verified_rate"]["solver"] == 1.0
    assert sum(sum(c.values()) for c in rep["per_family_level"].values()) == rep["records"]


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from optsolve.cli.main import main

    assert main(["datagen", "--n", "3"]) != 0
    assert "--out" in capsys.readouterr().err
    assert main(["datagen", "--families", "nope", "--n", "3", "--out", str(tmp_path / "x")]) != 0
    err = capsys.readouterr().err
    assert "unknown family 'nope'" in err and "known families" in err
    assert main(["datagen", "report", str(tmp_path / "missing")]) == 2
    assert "no manifest.json" in capsys.readouterr().err
