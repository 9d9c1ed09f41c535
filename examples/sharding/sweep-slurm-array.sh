#!/bin/bash
# A sweep in 8 shards as a Slurm job array (docs/sweeps.md): each task runs
# `migrlab sweep --shards 8`, which reads its shard's index from
# SLURM_ARRAY_TASK_ID, and writes out/shard-<index>.jsonl; a job that waits for
# the whole array merges the shards.
#
#   mkdir -p out   # Slurm opens the logs (--output) before the script runs
#   jid=$(sbatch --parsable examples/sharding/sweep-slurm-array.sh examples/sweep-10k.yaml)
#   sbatch --dependency=afterok:$jid --wrap 'migrlab report --merge out/sweep.jsonl out/shard-*.jsonl'
#
# The array must count from 0 and have as many tasks as --shards says.
#SBATCH --job-name=migrlab-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=256M
#SBATCH --time=01:00:00
#SBATCH --output=out/%x-%A_%a.log
set -euo pipefail

sweep=${1:?usage: sbatch sweep-slurm-array.sh SWEEP.yaml}
mkdir -p out
# Use the cores Slurm gave the task, not the node's.
export GOMAXPROCS=${SLURM_CPUS_PER_TASK:-1}
exec migrlab sweep --quiet --shards=8 --out="out/shard-${SLURM_ARRAY_TASK_ID}.jsonl" "$sweep"
