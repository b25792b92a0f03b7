# shellcheck shell=bash
# Shared by the Slurm job script (sourced, not run): where the srun tasks go.

# lorahpo_expand_tasks_per_node TASKS_PER_NODE: Slurm's compressed count list
# (SLURM_TASKS_PER_NODE, e.g. "2,1(x7)" or "1(x3),2,1(x4)"; sbatch(1), OUTPUT ENVIRONMENT
# VARIABLES) as one count a line, in the order of `scontrol show hostnames $SLURM_JOB_NODELIST`.
lorahpo_expand_tasks_per_node() {
  local item count times i
  local IFS=,
  for item in $1; do
    if [[ "$item" =~ ^([0-9]+)\(x([0-9]+)\)$ ]]; then
      count="${BASH_REMATCH[1]}"
      times="${BASH_REMATCH[2]}"
    else
      count="$item"
      times=1
    fi
    for ((i = 0; i < times; i++)); do echo "$count"; done
  done
}

# lorahpo_slurm_hostfile NODES_FILE TASKS_PER_NODE OUT: SLURM_HOSTFILE for
# `srun --distribution=arbitrary`, which places task i on line i (srun(1), --distribution,
# "arbitrary"). The allocation holds one task per node plus one for the master (sbatch --nodes=N
# --ntasks=N+1), so one node has 2 task slots: it is listed first, twice (rank 0, the master, and
# rank 1, worker 1), then every other node once (one worker each). The step then asks exactly
# for what the allocation holds, node by node.
lorahpo_slurm_hostfile() {
  local nodes_file="$1" tasks="$2" out="$3"
  paste -d ' ' "$nodes_file" <(lorahpo_expand_tasks_per_node "$tasks") |
    awk '$2 >= 2 && !first { first = $1 } { node[NR] = $1; n[NR] = $2 }
         END {
           if (!first) { print "lorahpo job: no node holds 2 tasks (sbatch --ntasks must be --nodes + 1)" > "/dev/stderr"; exit 1 }
           print first; print first
           for (i = 1; i <= NR; i++) if (node[i] != first) print node[i]
         }' > "$out"
}
