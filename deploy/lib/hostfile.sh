# shellcheck shell=bash
# Shared by the OAR and Slurm job scripts (sourced, not run).

# lorahpo_hostfile NODELIST_FILE OUT: one line per node with its MPI slots. The scheduler's list
# has one line per core (OAR) or per node; lorahpo wants one worker rank per node, plus the
# master (rank 0, no GPU, mostly idle) on the first node beside worker rank 1: the first node
# gets 2 slots, every other node 1. With `--map-by slot`, rank 0 and 1 then land on the first
# node and rank k+1 on node k+1. (`--map-by ppr:1:node` would put one rank per node and leave
# no room for the master.)
lorahpo_hostfile() {
  local nodes out first=1
  nodes="$1"
  out="$2"
  : > "$out"
  # uniq keeps the scheduler's order (sort -u would not); awk drops repeated hosts anywhere.
  awk 'NF && !seen[$1]++ {print $1}' "$nodes" | while read -r host; do
    if [ "$first" = 1 ]; then
      echo "$host slots=2" >> "$out"
      first=0
    else
      echo "$host slots=1" >> "$out"
    fi
  done
}

# lorahpo_ranks HOSTFILE: total ranks = nodes + 1 (one worker per node and the master).
lorahpo_ranks() {
  local nodes
  nodes=$(grep -c . "$1")
  echo $((nodes + 1))
}
