#!/usr/bin/env bash
# slurm-local.sh -- bring up / tear down a real single-node SLURM cluster on
# this machine (Debian 12, run as root, no systemd needed).
#
#   slurm-local.sh start    install slurm-wlm+munge if missing, write config,
#                           start munged/slurmctld/slurmd, wait for node idle
#   slurm-local.sh stop     cancel jobs, stop slurmd, slurmctld (and munged if
#                           this script started it)
#   slurm-local.sh status   print sinfo + squeue; exit 0 iff the cluster answers
#
# The config is written to ${SLURM_CONF:-/etc/slurm/slurm.conf}; with the default,
# sinfo/sbatch/squeue find it without any environment variable.
#
# Tunables (environment):
#   SLURM_LOCAL_TIMEOUT   seconds to wait for the node to become idle (60)
#   SLURM_LOCAL_CPUS      CPUs to advertise (default: real count from slurmd -C);
#                         more than real => SlurmdParameters=config_overrides
#   SLURM_LOCAL_BASE      state/spool/log/pid directory (/var/spool/slurm-local)
#   SLURM_LOCAL_KEEP_STATE=1  warm-start slurmctld (keep jobs from last run);
#                         default is a cold start (slurmctld -c) for clean CI runs
set -uo pipefail

PROG=slurm-local
CONF="${SLURM_CONF:-/etc/slurm/slurm.conf}"
BASE="${SLURM_LOCAL_BASE:-/var/spool/slurm-local}"
TIMEOUT="${SLURM_LOCAL_TIMEOUT:-60}"
RUN="$BASE/run"
LOGDIR="$BASE/log"
MUNGE_MARK="$RUN/munged.started-by-slurm-local"
MARKER="# managed by slurm-local.sh"
export SLURM_CONF="$CONF"      # our own sinfo/scontrol calls use this config

log()  { echo "$PROG: $*" >&2; }
die()  { echo "$PROG: ERROR: $*" >&2; exit 1; }
# last "error:"/"fatal:" line of a log file, for one-line failure reasons
last_err() {  # prefer the last fatal line; PMIx/MPI plugin errors are harmless noise here
  [ -r "$1" ] || return 0
  { grep -h 'fatal' "$1" || grep -hE 'error' "$1" | grep -viE 'pmix|MPI'; } 2>/dev/null | tail -n1 | cut -c1-300
}

pid_alive() {  # pidfile [comm]
  local p; [ -r "$1" ] || return 1
  p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  # PID 1 here is not an init that reaps promptly: a zombie counts as dead
  [ "$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)" != Z ] || return 1
  if [ -n "${2:-}" ]; then [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] || return 1; fi
}

stop_pidfile() {  # pidfile comm name
  local pf=$1 comm=$2 name=$3 p i
  pid_alive "$pf" "$comm" || { rm -f "$pf"; return 0; }
  p=$(cat "$pf")
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 100); do pid_alive "$pf" "$comm" || break; sleep 0.1; done
  if pid_alive "$pf" "$comm"; then log "$name ($p) ignored SIGTERM for 10 s, sending SIGKILL"; kill -KILL "$p" 2>/dev/null; sleep 0.5; fi
  rm -f "$pf"
  log "stopped $name (pid $p)"
}

rotate() {  # keep one previous log per daemon so error reports only show this run
  local f; for f in "$LOGDIR/$1.log" "$LOGDIR/$1.stdout"; do [ -e "$f" ] && mv -f "$f" "$f.1"; done; return 0
}

startup_err() {  # first error + last line the daemon printed before daemonizing, else its log
  local o="$LOGDIR/$1.stdout" e
  e=$( { grep -viE 'pmix|MPI' "$o" | grep -m1 error; tail -n1 "$o"; } 2>/dev/null | awk '!seen[$0]++' | paste -sd'|' | sed 's/|/ -- /')
  [ -n "$e" ] && echo "$e" || last_err "$LOGDIR/$1.log"
}

live_stepds() {  # slurmstepd processes that are not zombies
  local p; for p in $(pgrep -x slurmstepd 2>/dev/null); do
    [ "$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)" = Z ] || echo "$p"
  done
}

port_user() {  # who listens on TCP port $1 (empty if free)
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -n1 | sed 's/users:((//'
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (apt-get, munged and slurm daemons)"; }

pkg_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

install_packages() {
  local missing=() p
  for p in slurm-wlm munge; do pkg_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$LOGDIR/apt.log" 2>&1 || die "apt-get update failed: $(tail -n1 "$LOGDIR/apt.log")"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGDIR/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed: $(grep -E '^E:' "$LOGDIR/apt.log" | tail -n1)"
  for p in slurmctld slurmd sinfo munged; do command -v "$p" >/dev/null || die "$p not found after installing ${missing[*]}"; done
}

munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_ok; then return 0; fi
  local key=/etc/munge/munge.key u=munge
  id munge >/dev/null 2>&1 || u=root
  mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
  if [ ! -s "$key" ]; then
    log "generating munge key $key"
    if command -v mungekey >/dev/null; then mungekey --create --keyfile="$key" --force >/dev/null 2>&1 || true; fi
    [ -s "$key" ] || dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
  fi
  chown "$u:$u" "$key" /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null
  chmod 0400 "$key"; chmod 0700 /etc/munge /var/log/munge /var/lib/munge; chmod 0755 /run/munge
  rm -f /run/munge/munged.pid
  rotate munged
  if [ "$u" = munge ]; then
    runuser -u munge -- /usr/sbin/munged </dev/null >>"$LOGDIR/munged.stdout" 2>&1 9>&-
  else
    /usr/sbin/munged --force </dev/null >>"$LOGDIR/munged.stdout" 2>&1 9>&-
  fi || die "munged failed to start: $(tail -n1 "$LOGDIR/munged.stdout"; last_err /var/log/munge/munged.log)"
  : >"$MUNGE_MARK"
  local i; for i in $(seq 1 50); do munge_ok && { log "munged started"; return 0; }; sleep 0.1; done
  die "munged started but munge -n | unmunge fails: $(last_err /var/log/munge/munged.log)"
}

write_conf() {
  local node hw cpus real_cpus boards sockets cores threads mem rmem extra=""
  node=$(hostname -s) || die "hostname -s failed"
  hw=$(slurmd -C 2>/dev/null | head -n1) || true
  [ -n "$hw" ] || die "slurmd -C printed nothing (cannot detect CPUs/memory)"
  getv() { sed -n "s/.*[[:space:]]$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
  real_cpus=$(getv CPUs); boards=$(getv Boards); sockets=$(getv SocketsPerBoard)
  cores=$(getv CoresPerSocket); threads=$(getv ThreadsPerCore); mem=$(getv RealMemory)
  [ -n "$real_cpus" ] && [ -n "$mem" ] || die "cannot parse slurmd -C output: $hw"
  rmem=$(( mem * 95 / 100 ))                      # a bit below what slurmd -C reports
  cpus="${SLURM_LOCAL_CPUS:-$real_cpus}"
  local topo="Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
  if [ "$cpus" != "$real_cpus" ]; then
    topo="Boards=1 SocketsPerBoard=1 CoresPerSocket=$cpus ThreadsPerCore=1"
    extra="SlurmdParameters=config_overrides"
  fi
  local tmp; tmp=$(mktemp)
  cat >"$tmp" <<EOF
$MARKER -- regenerated by 'slurm-local.sh start'; edits are overwritten
ClusterName=local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
ReturnToService=2
KillWait=2
OverTimeLimit=0
MinJobAge=30
InactiveLimit=0
SlurmdTimeout=60
UnkillableStepTimeout=30
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
StateSaveLocation=$BASE/ctld
SlurmdSpoolDir=$BASE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$extra
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus $topo RealMemory=$rmem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  mkdir -p "$(dirname "$CONF")"
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; return 1; fi   # unchanged
  if [ -f "$CONF" ] && ! head -n1 "$CONF" | grep -qF "$MARKER"; then
    cp -p "$CONF" "$CONF.bak.$(date +%s)"; log "backed up foreign $CONF"
  fi
  mv "$tmp" "$CONF"; chmod 0644 "$CONF"
  log "wrote $CONF (node $node, CPUs=$cpus, RealMemory=$rmem MB)"
  return 0
}

node_state() { sinfo -h -N -n "$(hostname -s)" -o '%T' 2>/dev/null | head -n1; }

cmd_start() {
  need_root
  [ -d /run/systemd/system ] && log "note: systemd is running; starting daemons directly anyway"
  mkdir -p "$BASE/ctld" "$BASE/d" "$RUN" "$LOGDIR" || die "cannot create $BASE"
  case "${SLURM_LOCAL_CPUS:-1}" in ''|*[!0-9]*|0) die "SLURM_LOCAL_CPUS must be a positive integer";; esac
  exec 9>"$RUN/lock"; flock -w 120 9 || die "another slurm-local.sh holds $RUN/lock"
  local t0=$SECONDS
  install_packages
  start_munge
  local changed=0; write_conf && changed=1
  if [ $changed = 1 ] && { pid_alive "$RUN/slurmctld.pid" slurmctld || pid_alive "$RUN/slurmd.pid" slurmd; }; then
    log "config changed: restarting daemons"
    stop_pidfile "$RUN/slurmd.pid" slurmd slurmd
    stop_pidfile "$RUN/slurmctld.pid" slurmctld slurmctld
  fi
  if ! pid_alive "$RUN/slurmctld.pid" slurmctld; then
    local busy; busy=$(port_user 6817)
    [ -z "$busy" ] || die "port 6817 (SlurmctldPort) is already in use by $busy; stop it first"
    rotate slurmctld
    local cold=-c; [ "${SLURM_LOCAL_KEEP_STATE:-0}" = 1 ] && cold=""
    slurmctld $cold -f "$CONF" </dev/null >>"$LOGDIR/slurmctld.stdout" 2>&1 9>&- \
      || die "slurmctld failed to start: $(startup_err slurmctld)"
    log "slurmctld started"
  fi
  local i; for i in $(seq 1 50); do
    scontrol ping >/dev/null 2>&1 && break
    # (the pidfile appears a moment after the fork: judge only after 2 s)
    (( i > 10 )) && ! pid_alive "$RUN/slurmctld.pid" slurmctld && die "slurmctld exited: $(last_err "$LOGDIR/slurmctld.log")"
    sleep 0.2
  done
  if ! pid_alive "$RUN/slurmd.pid" slurmd; then
    local busy; busy=$(port_user 6818)
    [ -z "$busy" ] || die "port 6818 (SlurmdPort) is already in use by $busy; stop it first"
    rotate slurmd
    slurmd -f "$CONF" -N "$(hostname -s)" </dev/null >>"$LOGDIR/slurmd.stdout" 2>&1 9>&- \
      || die "slurmd failed to start: $(startup_err slurmd)"
    log "slurmd started"
  fi
  local st="" resumed=0
  local deadline=$((SECONDS + TIMEOUT))
  while (( SECONDS < deadline )); do
    pid_alive "$RUN/slurmctld.pid" slurmctld || die "slurmctld exited: $(last_err "$LOGDIR/slurmctld.log")"
    pid_alive "$RUN/slurmd.pid" slurmd || die "slurmd exited: $(last_err "$LOGDIR/slurmd.log")"
    # sinfo blocks ~9 s when slurmctld does not answer; scontrol ping fails at once
    if ! scontrol ping >/dev/null 2>&1; then st="slurmctld not answering"; sleep 0.5; continue; fi
    st=$(node_state)
    case "$st" in
      *'*') ;;                                   # trailing '*' = node not responding yet
      idle*|mixed*|allocated*|completing*|planned*) log "up: node $(hostname -s) is $st ($((SECONDS - t0)) s); SLURM_CONF=$CONF"; return 0 ;;
      drain*|down*|fail*|inval*)
        if [ $resumed = 0 ]; then scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1; resumed=1; fi ;;
    esac
    sleep 0.5
  done
  die "node not idle after ${TIMEOUT}s (state '${st:-no answer}'): $(sinfo -h -R 2>/dev/null | head -n1) $(last_err "$LOGDIR/slurmd.log")"
}

cmd_stop() {
  need_root
  mkdir -p "$RUN"
  exec 9>"$RUN/lock"; flock -w 120 9 || die "another slurm-local.sh holds $RUN/lock"
  if command -v scontrol >/dev/null && scontrol ping >/dev/null 2>&1; then
    local jobs; jobs=$(squeue -h -o '%i' 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
      log "cancelling jobs: $jobs"; scancel $jobs 2>/dev/null
      local i; for i in $(seq 1 30); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
    fi
  fi
  # let job steps finish reporting to slurmd (bounded) before stopping it
  local i; for i in $(seq 1 20); do [ -z "$(live_stepds)" ] && break; sleep 0.5; done
  stop_pidfile "$RUN/slurmd.pid" slurmd slurmd
  stop_pidfile "$RUN/slurmctld.pid" slurmctld slurmctld
  # job steps outlive slurmd; any left now belong to this cluster
  local p; for p in $(live_stepds); do log "killing leftover slurmstepd $p"; kill -KILL "$p" 2>/dev/null; done
  if [ -e "$MUNGE_MARK" ]; then
    stop_pidfile /run/munge/munged.pid munged munged; rm -f "$MUNGE_MARK"
  elif munge_ok 2>/dev/null; then
    log "munged left running (not started by this script)"
  fi
  return 0
}

cmd_status() {
  command -v sinfo >/dev/null || { echo "$PROG: slurm not installed"; return 1; }
  echo "SLURM_CONF=$CONF"
  if ! scontrol ping >/dev/null 2>&1; then echo "$PROG: slurmctld not answering"; return 1; fi
  sinfo; echo; squeue
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
