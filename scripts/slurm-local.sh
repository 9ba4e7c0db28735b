#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying `synapses-ts ablate --executor slurm` and for the tests
# (test/slurm). Needs Debian's `slurm-wlm` (slurmctld, slurmd, the client commands) and `munge`.
#
#   scripts/slurm-local.sh start    start munged, slurmctld and slurmd (does nothing for those already running)
#   scripts/slurm-local.sh stop     cancel every job of this cluster, stop the daemons, wait until none is left
#   scripts/slurm-local.sh status   say what runs; exit 0 when the node is up and idle or busy, 1 otherwise
#   scripts/slurm-local.sh env      print `export SLURM_CONF=...` (eval it to use sbatch/squeue on this cluster)
#
# Everything lives in a scratch folder of its own (SYNAPSES_SLURM_DIR, default /tmp/synapses-slurm): a munge
# key and socket, slurm.conf, state, spool, logs and pid files. The daemons listen on non-default ports
# (SYNAPSES_SLURM_PORT and the next one, default 16817/16818), so a real Slurm or munge on the machine is not
# touched. No systemd: the daemons are started directly and stopped by their pid files.
#
# As root, munged runs as the `munge` user (its key belongs to it) and jobs run as the submitting user. As
# another user, everything runs as that user (SlurmUser = you): enough for jobs of your own.
set -euo pipefail

DIR="${SYNAPSES_SLURM_DIR:-/tmp/synapses-slurm}"
PORT="${SYNAPSES_SLURM_PORT:-16817}"
CONF="$DIR/slurm.conf"
SOCKET="$DIR/munge/munge.socket"
export SLURM_CONF="$CONF"

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit 1; }

need() {
  local missing=()
  for cmd in munged slurmctld slurmd sbatch scontrol sinfo squeue; do
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$cmd")
  done
  [ "${#missing[@]}" -eq 0 ] || die "missing ${missing[*]}: install the Debian packages with: sudo apt-get install -y --no-install-recommends slurm-wlm munge"
}
bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

# The pid in FILE when that process is alive, else nothing.
alive() { local pid; pid="$(cat "$1" 2>/dev/null || true)"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid" || true; }

# Waits up to $2 tenths of a second for command $1 to succeed.
wait_for() { local i; for ((i = 0; i < $2; i++)); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# The job steps (slurmstepd) of THIS cluster: the ones whose environment names our slurm.conf.
our_steps() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "SLURM_CONF=$CONF" && echo "${p#/proc/}"
  done
  return 0
}

write_conf() {
  local host user mem cpus
  host="$(hostname -s)"
  user="$(id -un)"
  # SYNAPSES_SLURM_CPUS declares more CPUs than the machine has (tasks then share cores), e.g. so that a
  # test can run several one-CPU tasks at once on a 2-core machine.
  cpus="${SYNAPSES_SLURM_CPUS:-$(nproc)}"
  # Memory the jobs may ask for with --mem: what the machine has, less 1 GiB for the rest.
  mem="$(awk '/MemTotal/ { m = int($2 / 1024) - 1024; print (m > 512 ? m : 512) }' /proc/meminfo)"
  cat >"$CONF.new" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster for synapses-ts, everything under $DIR.
ClusterName=synapses-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
# Our own munged, on its own socket (a system munged, if any, is left alone).
AuthInfo=socket=$SOCKET
# No cgroups in containers: track processes by parent id, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
# Trust the CPUs declared below even when they exceed the machine's (SYNAPSES_SLURM_CPUS).
SlurmdParameters=config_overrides
ReturnToService=2
# No slurmdbd: sacct has nothing to read (synapses-ts then relies on squeue and its own files).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Seconds between SIGTERM and SIGKILL when a job is cancelled or hits its time limit.
KillWait=10
# Keep ended jobs visible to squeue/scontrol for 5 minutes.
MinJobAge=300
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.new" "$CONF"
}

start_munge() {
  [ -n "$(alive "$DIR/munge/munged.pid")" ] && return 0
  local owner=()
  mkdir -p "$DIR/munge"
  if [ "$(id -u)" -eq 0 ] && id munge >/dev/null 2>&1; then owner=(munge); fi
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1 count=1024 status=none
  fi
  chmod 700 "$DIR/munge"
  chmod 400 "$DIR/munge/munge.key"
  [ "${#owner[@]}" -eq 0 ] || chown -R munge:munge "$DIR/munge"
  local args=(--force --socket="$SOCKET" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid"
              --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed")
  if [ "${#owner[@]}" -gt 0 ]; then
    # The socket's folder must let slurm (root) and job users reach the socket.
    chmod 755 "$DIR" "$DIR/munge"
    runuser -u munge -- test -x "$DIR/munge" ||
      die "the munge user cannot reach $DIR/munge (a parent folder is private?): choose SYNAPSES_SLURM_DIR elsewhere"
    runuser -u munge -- "$(bin munged)" "${args[@]}"
  else
    chmod 755 "$DIR/munge"
    "$(bin munged)" "${args[@]}"
  fi
  wait_for "[ -S '$SOCKET' ]" 50 || die "munged did not start: see $DIR/munge/munged.log"
}

start() {
  need
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
  [ -f "$CONF" ] || write_conf
  start_munge
  if [ -z "$(alive "$DIR/slurmctld.pid")" ]; then
    "$(bin slurmctld)" -f "$CONF" || die "slurmctld did not start: see $DIR/log/slurmctld.log"
    wait_for "[ -n \"\$(alive '$DIR/slurmctld.pid')\" ] && scontrol ping | grep -q UP" 100 || die "slurmctld is not answering: see $DIR/log/slurmctld.log"
  fi
  if [ -z "$(alive "$DIR/slurmd.pid")" ]; then
    "$(bin slurmd)" -f "$CONF" || die "slurmd did not start: see $DIR/log/slurmd.log"
  fi
  # The node is usable once the controller sees it idle (or busy with jobs from an earlier start).
  if ! wait_for "sinfo -h -N -o %T | grep -Eq '^(idle|mixed|allocated)'" 300; then
    die "the node did not come up ($(sinfo -h -N -o %T 2>&1)): see $DIR/log/slurmd.log and $DIR/log/slurmctld.log"
  fi
  say "up: node $(hostname -s), partition debug, controller on port $PORT; use it with: export SLURM_CONF=$CONF"
}

stop() {
  if [ -n "$(alive "$DIR/slurmctld.pid")" ]; then
    # Jobs first, so that no job step outlives the daemons.
    local ids
    ids="$(squeue -h -o %A 2>/dev/null || true)"
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      wait_for "[ -z \"\$(squeue -h -t R,CG,S -o %A)\" ]" 150 || true
    fi
  fi
  local pid name
  for name in slurmd slurmctld munge/munged; do
    pid="$(alive "$DIR/$name.pid")"
    [ -z "$pid" ] && continue
    kill "$pid" 2>/dev/null || true
    wait_for "! kill -0 $pid" 100 || kill -9 "$pid" 2>/dev/null || true
  done
  # Steps of ours that outlived slurmd (a job that ignored SIGTERM): ended by their ids.
  for pid in $(our_steps); do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$DIR/munge/munged.pid"
  say "stopped"
}

status() {
  local ok=0 name pid
  for name in munge/munged slurmctld slurmd; do
    pid="$(alive "$DIR/$name.pid")"
    if [ -n "$pid" ]; then say "${name#munge/} running (pid $pid)"; else say "${name#munge/} not running"; ok=1; fi
  done
  if [ "$ok" -eq 0 ]; then
    sinfo -N -o '%N %P %T %c' || ok=1
    squeue || true
  fi
  return "$ok"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
