#!/bin/bash
# Writes the sweep's manifests with the shard count given once: the claim, the Indexed Job
# (completions and the pods' --shard I/SHARDS agree by construction). Pipe to kubectl:
#
#   kubectl create configmap morphic-sweep --from-file=sweep.json=Config/sweeps/seed.json
#   deploy/kubernetes/render.sh 8 4 | kubectl apply -f -
#   kubectl wait --for=condition=complete job/morphic-sweep --timeout=1h
#   kubectl apply -f deploy/kubernetes/merge-job.yaml
set -euo pipefail
usage="usage: render.sh SHARDS [PARALLEL]"
shards=${1:?$usage}
parallel=${2:-$shards}
[[ $shards =~ ^[1-9][0-9]*$ && $parallel =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
cat "$here/data-claim.yaml"
echo "---"
sed -e "s/\${SHARDS}/$shards/g" -e "s/\${PARALLEL}/$parallel/g" "$here/sweep-job.yaml"
