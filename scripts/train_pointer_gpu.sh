#!/usr/bin/env bash
# The pointer formalizer at GPU scale: every MiniLM layer trained with the decoder (encoder=6), on the
# synthetic records, their extra phrasings and the annotated NL4Opt texts with their siblings (see
# docs/embedded.md, "Every MiniLM layer at GPU scale"). On a CUDA machine with optsolve importable:
#
#   DATA=runs/gpu/mix.jsonl EVAL=runs/gpu/eval.jsonl WORK=runs/ptr-gpu scripts/train_pointer_gpu.sh
#
# where the data comes from (here, on any machine, in seconds):
#
#   optsolve train embedded --work runs/ptr --stages data --n-per-family 2400 --max-held-out 600 --workers 2
#   optsolve train embedded --work runs/ptrv --stages data --n-per-family 2400 --max-held-out 600 --workers 2 \
#       --variety --seed 1
#   cat runs/ptr/data/records_train.jsonl runs/ptrv/data/records_train.jsonl > runs/gpu/synth_all.jsonl
#   optsolve train annotations --out runs/gpu/mix.jsonl --held-out 80 --mix runs/gpu/synth_all.jsonl \
#       --mix-n 48640 --repeat 2 --augment 4
#
# The trained model lands in WORK/model; install it as the pipeline does (the model and its training
# summary, so the shipped optsolve_train.json describes it):
#   python3 -c "from pathlib import Path; from optsolve.train.pipeline import install_pointer; install_pointer(Path('$WORK'))"
# Every knob is a `optsolve train pointer` flag; SMALL=1 runs the same command at smoke-test scale (CPU).
set -euo pipefail
DATA=${DATA:?DATA: the training records (JSONL)}
EVAL=${EVAL:-}
WORK=${WORK:-runs/ptr-gpu}
SPEC=${SPEC:-pointer:layers=3,hidden=256,heads=4,ff=1024,adapter=1,encoder=6}
MINUTES=${MINUTES:-5}
BATCH=${BATCH:-64}
EPOCHS=${EPOCHS:-20}
WORKERS=${WORKERS:-$(( $(nproc) > 16 ? 15 : $(nproc) - 1 ))}
DEVICE=${DEVICE:-cuda}
if [ "${SMALL:-0}" = 1 ]; then
  SPEC=pointer:layers=1,hidden=64,heads=2,ff=128,adapter=1,encoder=6; MINUTES=0.3; BATCH=8; DEVICE=cpu
fi
[ "$WORKERS" -ge 1 ] || WORKERS=1
exec python3 -m optsolve train pointer --data "$DATA" ${EVAL:+--eval-data "$EVAL"} --out "$WORK" \
  --spec "$SPEC" --max-minutes "$MINUTES" --epochs "$EPOCHS" --batch-size "$BATCH" --lr "${LR:-1e-3}" \
  --encoder-lr-scale "${ENC_LR:-0.05}" --warmup-steps "${WARMUP:-200}" --eval-every "${EVAL_EVERY:-1000}" \
  --workers "$WORKERS" --device "$DEVICE" --json
