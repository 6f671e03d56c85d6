"""`optsolve train sft` and `optsolve train dpo` end to end at tiny scale on CPU.

Two routes: a fresh compact-format model from a spec (the embedded model's route), and an existing
Hugging Face causal LM directory with a chat template (the route a 7B model with --lora takes on a
GPU), here a randomly initialised 2-layer x 64 Llama saved to disk first.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from optsolve.cli.main import main

pytest.importorskip("trl")


def _records(n: int) -> list[dict]:
    from optsolve.datagen.families import FAMILIES

    names = sorted(FAMILIES)[:3]
    out = []
    for i in range(n):
        inst = FAMILIES[names[i % len(names)]].generate(random.Random(i), "easy")
        out.append({"id": f"r{i}", "family": inst.family, "level": "easy", "text": inst.text,
                    "formulation": inst.formulation})
    return out


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _sft_messages(recs: list[dict]) -> list[dict]:
    return [{"messages": [{"role": "system", "content": "Write the model."},
                          {"role": "user", "content": r["text"]},
                          {"role": "assistant", "content": json.dumps(r["formulation"])}]} for r in recs]


def _pairs(recs: list[dict]) -> list[dict]:
    rows = []
    for r in recs:
        bad = json.loads(json.dumps(r["formulation"]))
        bad["objective"]["sense"] = "minimize" if bad["objective"]["sense"] == "maximize" else "maximize"
        prompt = [{"role": "user", "content": r["text"]}]
        rows.append({"prompt": prompt, "chosen": [{"role": "assistant", "content": json.dumps(r["formulation"])}],
                     "rejected": [{"role": "assistant", "content": json.dumps(bad)}], "level": "easy"})
    return rows


def test_sft_then_dpo_compact_fresh_model(tmp_path: Path) -> None:
    recs = _records(12)
    sft_data = _write(tmp_path / "sft.jsonl", _sft_messages(recs))
    sft_out = tmp_path / "sft"
    rc = main(["train", "sft", "--data", str(sft_data), "--model", "llama:layers=2,hidden=64,heads=2,vocab=400",
               "--out", str(sft_out), "--max-steps", "3", "--batch-size", "4", "--save-steps", "2",
               "--logging-steps", "1", "--json"])
    assert rc == 0
    meta = json.loads((sft_out / "optsolve_train.json").read_text())
    assert meta["format"] == "compact" and meta["steps"] == 3 and meta["rows"] == 12
    assert (sft_out / "model.safetensors").exists() and (sft_out / "tokenizer.json").exists()
    logged = [json.loads(x) for x in (sft_out / "metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in logged)
    assert any(p.name.startswith("checkpoint-") for p in sft_out.iterdir())

    # resume: more steps continue from the last checkpoint instead of starting over
    rc = main(["train", "sft", "--data", str(sft_data), "--model", "llama:layers=2,hidden=64,heads=2,vocab=400",
               "--out", str(sft_out), "--max-steps", "4", "--batch-size", "4", "--resume", "--json"])
    assert rc == 0
    meta = json.loads((sft_out / "optsolve_train.json").read_text())
    assert meta["resumed_from"] and meta["steps"] == 4

    pairs = _write(tmp_path / "pairs.jsonl", _pairs(recs))
    dpo_out = tmp_path / "dpo"
    rc = main(["train", "dpo", "--data", str(pairs), "--model", str(sft_out), "--out", str(dpo_out),
               "--max-steps", "2", "--batch-size", "4", "--curriculum", "--json"])
    assert rc == 0
    meta = json.loads((dpo_out / "optsolve_train.json").read_text())
    assert meta["stage"] == "dpo" and meta["format"] == "compact" and meta["pairs"] == 12 and meta["curriculum"]


def test_sft_and_dpo_on_a_hugging_face_model_dir(tmp_path: Path) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    from optsolve.train.common import CHAT_TEMPLATE
    from optsolve.train.tokenizer import fit_tokenizer

    recs = _records(8)
    tok = fit_tokenizer([r["text"] + json.dumps(r["formulation"]) for r in recs], 500)
    tok.chat_template = CHAT_TEMPLATE
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id)
    base = tmp_path / "base"
    LlamaForCausalLM(cfg).save_pretrained(str(base))
    tok.save_pretrained(str(base))

    sft_out = tmp_path / "sft"
    rc = main(["train", "sft", "--data", str(_write(tmp_path / "sft.jsonl", _sft_messages(recs))),
               "--model", str(base), "--out", str(sft_out), "--max-steps", "2", "--batch-size", "2",
               "--max-length", "2048", "--lora", "--lora-r", "4", "--json"])
    assert rc == 0
    meta = json.loads((sft_out / "optsolve_train.json").read_text())
    assert meta["format"] == "chat" and meta["lora"] and meta["steps"] == 2
    assert (sft_out / "adapter_config.json").exists()

    # ranked lists (prompt/completions/scores) expand into pairwise preferences
    ranked = [{"prompt": p["prompt"], "completions": [p["chosen"], p["rejected"]], "scores": [1.0, 0.2]}
              for p in _pairs(recs)]
    dpo_out = tmp_path / "dpo"
    rc = main(["train", "dpo", "--data", str(_write(tmp_path / "ranked.jsonl", ranked)), "--model", str(base),
               "--format", "chat", "--out", str(dpo_out), "--max-steps", "1", "--batch-size", "2",
               "--max-length", "2048", "--json"])
    assert rc == 0
    assert json.loads((dpo_out / "optsolve_train.json").read_text())["pairs"] == 8


def test_spec_errors_are_input_errors() -> None:
    from optsolve.errors import InputError
    from optsolve.train.common import parse_spec

    assert parse_spec("llama:layers=2,hidden=64")["layers"] == 2
    with pytest.raises(InputError):
        parse_spec("llama:depth=2")
