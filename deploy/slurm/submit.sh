#!/bin/bash
# Spreads one sweep over a Slurm cluster: a job array of SHARDS tasks (at most PARALLEL at a
# time), then a merge job that runs once every task has ended, whether or not all succeeded,
# and names the shards that are missing.
#
#   MORPHIC_SWEEP=/shared/seed.json MORPHIC_DATA=/shared/seed deploy/slurm/submit.sh 16 8
#
# Optional: MORPHIC_CPUS (per task, default 4), MORPHIC_MEMORY (per task, e.g. 4G),
# MORPHIC_PARTITION, MORPHIC_BINARY (the morphic binary as the nodes see it),
# MORPHIC_LIMITS (e.g. "--max-runs 1000000", for sweeps above the built-in limits).
set -euo pipefail

shards=${1:?usage: submit.sh SHARDS [PARALLEL]}
parallel=${2:-$shards}
: "${MORPHIC_SWEEP:?set MORPHIC_SWEEP to the sweep definition file}"
: "${MORPHIC_DATA:?set MORPHIC_DATA to a folder on storage every node shares}"
here=$(cd "$(dirname "$0")" && pwd)
morphic=${MORPHIC_BINARY:-morphic}

options=(--parsable --export=ALL,MORPHIC_SHARDS="$shards" --cpus-per-task="${MORPHIC_CPUS:-4}")
[ -n "${MORPHIC_MEMORY:-}" ] && options+=(--mem="$MORPHIC_MEMORY")
[ -n "${MORPHIC_PARTITION:-}" ] && options+=(--partition="$MORPHIC_PARTITION")

array=$(sbatch "${options[@]}" --array="0-$((shards - 1))%$parallel" "$here/sweep-array.sbatch")
# afterany: the merge runs even when a task failed, and names the shards to rerun, instead
# of waiting for ever.
merge=$(sbatch --parsable --export=ALL,MORPHIC_SHARDS="$shards",MORPHIC_DEPLOY="$here" \
    --dependency="afterany:$array" "$here/merge.sbatch")
echo "array job $array ($shards shards), merge job $merge → $MORPHIC_DATA/dataset/dataset.tar.gz"
