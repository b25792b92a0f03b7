# shellcheck shell=bash
# Shared by the OAR and Slurm job scripts (sourced, not run): what a job script derives from its
# own location and its arguments. Nothing comes from the submitter's environment: OAR starts the
# job with an environment it builds itself (OAR 2.5.10 OAR/Tools.pm
# get_oarexecuser_perl_script_for_oarexec sets OAR_* only, oardodo.c adds HOME/USER/SHELL and
# unsets LD_LIBRARY_PATH), and a requeued Slurm job is started again from what sbatch recorded.
# The job's command line, on the other hand, is kept: OAR stores the command with its arguments
# and resubmit_job (OAR/IO.pm) copies it; Slurm requeues the same batch script with its arguments.

# lorahpo_repo_of SCRIPT: the repository holding deploy/<scheduler>/SCRIPT (two levels up).
lorahpo_repo_of() {
  (cd "$(dirname "$1")/../.." && pwd)
}

# lorahpo_abs_path PATH: PATH made absolute against the current directory (the job's launching
# directory, $OAR_WORKDIR or $SLURM_SUBMIT_DIR), before the job script changes directory.
lorahpo_abs_path() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
  esac
}

# lorahpo_run_dir_for REPO CONFIG: one run directory per campaign file, so that each campaign has
# its own journal and its own lock (RUN_DIR/.lock): REPO/runs/<folder>_<name> for
# <...>/<folder>/<name>.yaml, e.g. configs/llama32_3b/soo.yaml -> runs/llama32_3b_soo. The folder
# keeps configs/a/soo.yaml and configs/b/soo.yaml apart.
lorahpo_run_dir_for() {
  local repo="$1" config="$2" folder name
  folder=$(basename "$(dirname "$config")")
  name=$(basename "$config")
  name=${name%.yaml}
  name=${name%.yml}
  echo "$repo/runs/${folder}_${name}"
}

# lorahpo_run_args CONFIG RUN_DIR: `run CONFIG --out RUN_DIR`, or `run CONFIG --resume RUN_DIR`
# when RUN_DIR already holds a journal: a resubmitted (or hand-resubmitted) job continues the
# campaign instead of starting it again. One argument a line (paths may hold spaces):
#   mapfile -t args < <(lorahpo_run_args "$config" "$run_dir")
lorahpo_run_args() {
  local config="$1" run_dir="$2"
  if [ -s "$run_dir/journal.jsonl" ]; then
    printf '%s\n' run "$config" --resume "$run_dir"
  else
    printf '%s\n' run "$config" --out "$run_dir"
  fi
}
