#!/bin/bash
# Spreads one sweep over a Slurm cluster: a job array of SHARDS tasks (at most PARALLEL at a
# time), then a merge job that runs only when every task succeeded.
#
#   MORPHIC_SWEEP=/shared/seed.json MORPHIC_DATA=/shared/seed deploy/slurm/submit.sh 16 8
set -euo pipefail

shards=${1:-8}
parallel=${2:-$shards}
: "${MORPHIC_SWEEP:?set MORPHIC_SWEEP to the sweep definition file}"
: "${MORPHIC_DATA:?set MORPHIC_DATA to a folder on storage every node shares}"
here=$(cd "$(dirname "$0")" && pwd)

array=$(sbatch --parsable --export=ALL --array="0-$((shards - 1))%$parallel" "$here/sweep-array.sbatch")
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --job-name=morphic-merge \
    --output="morphic-merge-%j.log" \
    --wrap="morphic merge $MORPHIC_DATA/shard-* --output $MORPHIC_DATA/dataset")
echo "array job $array ($shards shards), merge job $merge → $MORPHIC_DATA/dataset/dataset.tar.gz"
