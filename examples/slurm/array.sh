#!/bin/bash
# A job array: task I of N computes the I-th of N shares of a study's work into STORE.shards/;
# the last task to finish assembles STORE (bit-identical to one unsharded run).
#
#   sbatch --array=1-16 examples/slurm/array.sh STUDY.toml STORE 16
#
# The array must run from 1 to N, and N is given again as the third argument, so that a task
# rerun alone (sbatch --array=7 examples/slurm/array.sh STUDY.toml STORE 16) still knows it is 7 of 16.
# A task cut short by its walltime keeps its finished items; rerun it, or assemble with a
# plain `mc-twolevel run STUDY.toml --out STORE`, which computes whatever is missing.
# Only fixed-trials studies shard (a precision study is refused).
#SBATCH --job-name=mc-twolevel-shard
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --output=mc-twolevel-%A_%a.out
set -u
# export NUMBA_CACHE_DIR=/scratch/$USER/numba-cache   # only if the package folder is not writable (docs/cluster.md)
exec ${MC_TWOLEVEL:-mc-twolevel} run "$1" --out "$2" --shard "$SLURM_ARRAY_TASK_ID/${3:-$SLURM_ARRAY_TASK_COUNT}"
