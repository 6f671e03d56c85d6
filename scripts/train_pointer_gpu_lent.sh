#!/usr/bin/env bash
# scripts/train_pointer_gpu.sh on a lent GPU machine that has PyTorch but not optsolve's dependencies,
# no network and a few minutes: everything it needs travels in PACK, made here by
# scripts/pack_pointer_gpu.py (records, a copy of all-MiniLM-L6-v2, pydantic's wheels in WHEELS).
#
#   PACK=.gpu/pack WHEELS=.whl BUDGET=480 OUT=/some/dir scripts/train_pointer_gpu_lent.sh
#
# BUDGET is the wall-clock seconds the whole script may take: the shards are prepared first
# (in parallel processes), then training gets what is left less a margin for loading and saving, with
# its cosine schedule fitted to that. The trained model comes back in OUT as model.tar.part-* (each under
# 16 MiB), with the training summary, the metrics and the log.
set -euo pipefail
T0=$(date +%s)
PACK=$(realpath "${PACK:-.gpu/pack}")
WHEELS=${WHEELS:-.whl}
BUDGET=${BUDGET:-480}
OUT=${OUT:?OUT: where the model and logs go}
WORK=${WORK:-/tmp/ptr-gpu}
TMP=${TMPDIR:-/tmp}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$TMP/site" "$WHEELS"/*.whl
export PYTHONPATH="$TMP/site:$PACK/fake:$PWD${PYTHONPATH:+:$PYTHONPATH}"
export XDG_CACHE_HOME="$TMP/cache" PYTHONUNBUFFERED=1 OPTSOLVE_MINILM_COPY="$TMP/minilm"
mkdir -p "$TMP/minilm" "$WORK"
cp "$PACK"/minilm/*.json "$PACK"/minilm/vocab.txt "$TMP/minilm/"
xz -dc "$PACK/minilm/model.safetensors.xz" > "$TMP/minilm/model.safetensors"
xz -dc "$PACK/mix.jsonl.xz" > "$TMP/mix.jsonl"
xz -dc "$PACK/held.jsonl.xz" > "$TMP/held.jsonl"
# the copy is not the wheel's file (fp16, unused rows zeroed), so its sha256 differs: mark it verified
python3 - <<'EOF'
import os
from pathlib import Path
from optsolve.formalize.retrieval import cache_dir
w = Path(os.environ["OPTSOLVE_MINILM_COPY"]) / "model.safetensors"
st = w.stat()
cache_dir().mkdir(parents=True, exist_ok=True)
(cache_dir() / "minilm-verified").write_text(f"{w}:{st.st_size}:{st.st_mtime_ns}", encoding="utf-8")
EOF
SPEC=${SPEC:-pointer:layers=3,hidden=256,heads=4,ff=1024,adapter=1,encoder=6}
WORKERS=${WORKERS:-$(( $(nproc) > 16 ? 15 : $(nproc) - 1 ))}
[ "$WORKERS" -ge 1 ] || WORKERS=1
echo "setup $(( $(date +%s) - T0 )) s" | tee -a "$OUT/log.txt"
# the shards first (resumable: `train pointer` finds them done), so the training budget is what is left.
# The program goes to a file: spawned workers re-import the main program from its file, and one read
# from standard input (`python3 - <<EOF`) has none (the first lent run hung here; optsolve now falls
# back to one process for such a program, which is too slow for this budget).
cat > "$TMP/prepare_shards.py" <<'EOF'
import json, sys
from optsolve.train.pointer import PointerConfig, prepare


def main() -> None:
    spec, workers, work, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    split = PointerConfig.from_spec(spec, []).split
    print(json.dumps(prepare(f"{tmp}/mix.jsonl", f"{work}/prepared", split=split, workers=workers,
                             progress=False)))
    vocab = json.loads(open(f"{work}/prepared/vocab.json", encoding="utf-8").read())
    print(json.dumps(prepare(f"{tmp}/held.jsonl", f"{work}/prepared_eval", vocab=vocab, split=split,
                             workers=1, progress=False)))


if __name__ == "__main__":      # not in the spawned workers, which import this file
    main()
EOF
python3 "$TMP/prepare_shards.py" "$SPEC" "$WORKERS" "$WORK" "$TMP" 2>&1 | tail -n 5 | tee -a "$OUT/log.txt"
LEFT=$(( BUDGET - ($(date +%s) - T0) - ${MARGIN:-120} ))
echo "prepared at $(( $(date +%s) - T0 )) s; training for $LEFT s" | tee -a "$OUT/log.txt"
[ "$LEFT" -ge 30 ] || { echo "no time left to train" | tee -a "$OUT/log.txt"; exit 1; }
MINUTES=$(python3 -c "print(round($LEFT / 60, 2))")
DATA=$TMP/mix.jsonl EVAL=$TMP/held.jsonl WORK=$WORK SPEC=$SPEC MINUTES=$MINUTES WORKERS=$WORKERS \
  scripts/train_pointer_gpu.sh > "$OUT/summary.json" 2> >(tr '\r' '\n' | tail -n 20 >> "$OUT/log.txt")
cp "$WORK/metrics.jsonl" "$OUT/"
tar -C "$WORK" -cf - model optsolve_train.json | split -b 15M - "$OUT/model.tar.part-"
echo "done at $(( $(date +%s) - T0 )) s" | tee -a "$OUT/log.txt"
