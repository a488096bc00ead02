#!/bin/bash
# The driver as a batch job: one mc-twolevel run on one node's cores, checkpointed before the
# walltime and resubmitted until the study is done.
#
#   sbatch examples/slurm/driver.sh STUDY.toml STORE [more `mc-twolevel run` options]
#
# SLURM sends SIGTERM to this script 5 minutes before the walltime (--signal=B:TERM@300; it
# arrives up to a minute earlier, as SLURM checks time limits about every 30 s). The script
# passes it on to mc-twolevel, which keeps every finished work item in STORE and exits 143;
# the script then submits itself again, to start when this job has ended, and the next job
# resumes STORE. The results are the same bits as one unbroken run.
#
# mc-twolevel uses the job's cores (SLURM_CPUS_PER_TASK) as threads of one process.
# Site settings (account, partition, modules) go below or on the sbatch command line.
#SBATCH --job-name=mc-twolevel
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --output=mc-twolevel-%j.out
set -u
study=$1 store=$2
shift 2
# module load python   # or: source /path/to/venv/bin/activate  (the same environment as the login node)
# export NUMBA_CACHE_DIR=/scratch/$USER/numba-cache   # only if the package folder is not writable (docs/cluster.md)

${MC_TWOLEVEL:-mc-twolevel} run "$study" --out "$store" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM          # SLURM signals this shell only (B:): pass it on
wait "$pid"
status=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done   # a signal ends `wait` early
echo "mc-twolevel exited with status $status"
if [ "$status" = 143 ] && [ "${MC_TWOLEVEL_RESUBMIT:-1}" = 1 ]; then
    # $0 is SLURM's copy of this script, with its #SBATCH lines; the new job starts after this one
    sbatch --dependency=afterany:"$SLURM_JOB_ID" "$0" "$study" "$store" "$@"
fi
exit "$status"
