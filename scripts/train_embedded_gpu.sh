#!/usr/bin/env bash
# The data and SFT stages of the shipped embedded model, at GPU scale (how the shipped model was made;
# see docs/embedded.md). On a CUDA machine with optsolve's [train] extra installed:
#
#   WORK=runs/embedded_gpu scripts/train_embedded_gpu.sh
#
# then, on any machine (CPU is fine), the remaining stages and the install:
#
#   optsolve train embedded --arch llama --work runs/embedded_gpu --stages dpo,dpo-datagen,eval --install
#
# Every knob is an `optsolve train embedded` flag; SMALL=1 runs the same command at smoke-test scale.
set -euo pipefail
WORK=${WORK:-runs/embedded_gpu}
MINUTES=${MINUTES:-6}
N=${N:-40000}
WORKERS=${WORKERS:-$(( $(nproc) > 16 ? 15 : $(nproc) - 1 ))}
SPEC=${SPEC:-llama:layers=6,hidden=384,heads=6,vocab=4096,ctx=640}
BATCH=${BATCH:-256}
if [ "${SMALL:-0}" = 1 ]; then N=300; MINUTES=0.5; BATCH=16; SPEC=llama:layers=2,hidden=64,heads=2,vocab=1024; fi
[ "$WORKERS" -ge 1 ] || WORKERS=1
exec python3 -m optsolve train embedded --arch llama --work "$WORK" --stages data,sft --fresh \
  --spec "$SPEC" --n-per-family "$N" --sft-minutes "$MINUTES" --sft-epochs 20 \
  --batch-size "$BATCH" --lr "${LR:-1.5e-3}" --warmup-steps "${WARMUP:-200}" --max-length 512 \
  --workers "$WORKERS" --max-held-out 2000 --json
