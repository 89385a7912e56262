#!/bin/bash
# Spreads one sweep over a Slurm cluster: a job array of SHARDS tasks (at most PARALLEL at a
# time), then a merge job that runs once every task has ended, whether or not all succeeded.
# The merge names the shards that did not finish and prints the line that reruns just them
# (this script with ONLY) and merges again.
#
#   MORPHIC_SWEEP=/shared/seed.json MORPHIC_DATA=/shared/seed deploy/slurm/submit.sh 16 8
#   … deploy/slurm/submit.sh 16 8 3,11     reruns shards 3 and 11, then merges
#
# Optional: MORPHIC_CPUS (per task, default 4), MORPHIC_MEMORY (per task, e.g. 4G),
# MORPHIC_PARTITION, MORPHIC_BINARY (the morphic binary as the nodes see it),
# MORPHIC_LIMITS (e.g. "--max-runs 1000000", for sweeps above the built-in limits).
set -euo pipefail

usage="usage: submit.sh SHARDS [PARALLEL [ONLY]]  (ONLY: shard numbers to rerun, e.g. 3,11)"
shards=${1:?$usage}
parallel=${2:-$shards}
only=${3:-}
[[ $shards =~ ^[1-9][0-9]*$ && $parallel =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 64; }
[[ -z $only || $only =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "$usage" >&2; exit 64; }
: "${MORPHIC_SWEEP:?set MORPHIC_SWEEP to the sweep definition file}"
: "${MORPHIC_DATA:?set MORPHIC_DATA to a folder on storage every node shares}"
# A definition that cannot be read here would fail every task the same way: said now.
[ -f "$MORPHIC_SWEEP" ] && [ -r "$MORPHIC_SWEEP" ] || {
    echo "MORPHIC_SWEEP: $MORPHIC_SWEEP is not a readable file (give the sweep definition on storage every node shares)" >&2
    exit 66
}
here=$(cd "$(dirname "$0")" && pwd)
cpus=${MORPHIC_CPUS:-4}
export MORPHIC_SWEEP MORPHIC_DATA

# Everything a task or the merge needs travels in its environment, so a rerun is the same.
environment="ALL,MORPHIC_SHARDS=$shards,MORPHIC_PARALLEL=$parallel,MORPHIC_CPUS=$cpus,MORPHIC_DEPLOY=$here"
options=(--parsable --export="$environment" --cpus-per-task="$cpus")
[ -n "${MORPHIC_MEMORY:-}" ] && options+=(--mem="$MORPHIC_MEMORY")
[ -n "${MORPHIC_PARTITION:-}" ] && options+=(--partition="$MORPHIC_PARTITION")

array=$(sbatch "${options[@]}" --array="${only:-0-$((shards - 1))}%$parallel" "$here/sweep-array.sbatch")
# afterany: the merge runs even when a task failed, and names the shards to rerun, instead
# of waiting for ever.
merge=$(sbatch --parsable --export="$environment" --dependency="afterany:$array" "$here/merge.sbatch")
echo "array job $array (${only:+shards $only of }$shards shards), merge job $merge → $MORPHIC_DATA/dataset/dataset.tar.gz"
