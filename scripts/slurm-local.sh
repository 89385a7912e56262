#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the Slurm executor's tests.
#   scripts/slurm-local.sh start DIR   installs slurmctld, slurmd and munge when missing,
#                                      writes DIR/slurm.conf and starts the daemons;
#                                      prints the line to export SLURM_CONF
#   scripts/slurm-local.sh stop DIR    stops the daemons (TERM, then KILL)
set -euo pipefail
command=${1:?start or stop}
dir=$(mkdir -p "${2:?state folder}" && cd "$2" && pwd)

stop() {
    for name in slurmctld slurmd munged; do
        [ -f "$dir/$name.pid" ] || continue
        pid=$(cat "$dir/$name.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$dir/$name.pid"
    done
}

if [ "$command" = stop ]; then
    stop
    exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 711 "$dir/munge"
[ -f "$dir/munge.key" ] || mungekey --create --keyfile="$dir/munge.key" --bits=1024
chmod 400 "$dir/munge.key"
munged --socket="$dir/munge/socket" --key-file="$dir/munge.key" --log-file="$dir/log/munged.log" \
    --pid-file="$dir/munged.pid" --seed-file="$dir/munge/seed" --force
for _ in $(seq 1 50); do [ -S "$dir/munge/socket" ] && break; sleep 0.1; done

cpus=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -n 1)
cat > "$dir/slurm.conf" <<CONF
ClusterName=morphic
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmd -D -f "$SLURM_CONF" -N localhost >/dev/null 2>&1 &
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 &
for _ in $(seq 1 100); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.1
done
if [ "$(sinfo -h -n localhost -o %T 2>/dev/null || true)" != idle ]; then
    echo "slurm did not become idle; logs in $dir/log" >&2
    stop
    exit 1
fi
echo "export SLURM_CONF=$SLURM_CONF"
