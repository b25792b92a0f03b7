#!/usr/bin/env bash
# One-time setup of lorahpo on Grid'5000, run from the repository root inside an interactive job
# on one chuc node (the build needs sudo-g5k; the download needs the node's Internet access):
#   oarsub -I -l nodes=1,walltime=2:00:00 -p "cluster='chuc'"
#   HF_TOKEN=hf_... deploy/g5k_setup.sh
# Optional (this script runs interactively, so the environment is yours here):
#   LORAHPO_STORAGE=/srv/storage/GROUP@storage1.lille.grid5000.fr/$USER
#       put models/, datasets/, hf_home/, .venv-litgpt/ and runs/ there (symlinks from the
#       repository): the home quota (25 GB) cannot hold the model (~13 GB with its
#       conversion), the environment and each trial's LoRA weights.
#   LORAHPO_PYTHON=/path/to/python3.10+   the Python for LitGPT's environment (see step 2).
# Steps: 0 storage and runs/, 1 lorahpo (build + bundle), 2 Python >= 3.10 and LitGPT + lm_eval
# at tested versions, 3 the model (downloaded and converted once, safetensors removed), 4 the data
# through LitGPT's and lm_eval's own loaders, 5 the preflight and configs/llama32_3b/first_try.yaml
# offline, as the campaign jobs will run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
: "${HF_TOKEN:?set HF_TOKEN to a Hugging Face token that can read meta-llama/Llama-3.2-3B}"
# Tested together: litgpt 0.5.13's `extra` pins lm-eval >=0.4.2,<0.4.9.1, transformers
# >=4.51.3,<4.57 and datasets >=2.18,<4 (litgpt v0.5.13 pyproject.toml), so lm_eval 0.4.9 is
# the newest it accepts; `extra` is the extra's name since v0.5.8 (it was `all` before).
# litgpt 0.5.13 requires Python >= 3.10 (requires-python); Debian 11, chuc's standard
# environment, ships 3.9.
litgpt_version=0.5.13
lm_eval_version=0.4.9
model=meta-llama/Llama-3.2-3B
venv="$repo/.venv-litgpt"
# shellcheck source=deploy/lib/campaign_args.sh
source "$repo/deploy/lib/campaign_args.sh"

echo "== 0. storage and runs/"
if [ -n "${LORAHPO_STORAGE:-}" ]; then
  for name in models datasets hf_home .venv-litgpt runs; do
    mkdir -p "$LORAHPO_STORAGE/$name"
    if [ -e "$name" ] && [ ! -L "$name" ]; then
      echo "g5k_setup: $repo/$name exists and is not a link: move its content to $LORAHPO_STORAGE/$name and remove it, then run this again" >&2
      exit 2
    fi
    ln -sfn "$LORAHPO_STORAGE/$name" "$name"
  done
fi
# OAR opens the job's -O/-E files (runs/oar.<id>.out/.err) before the job script starts, and
# the job ends at once if it cannot (OAR/Tools.pm get_oarexecuser_perl_script_for_oarexec).
mkdir -p runs

echo "== 1. lorahpo: build, and its runtime libraries next to it (nothing to install in jobs)"
SUDO=sudo-g5k
command -v sudo-g5k >/dev/null || SUDO=sudo
$SUDO env DEBIAN_FRONTEND=noninteractive bash scripts/install_deps.sh
scripts/build.sh
if [ -x scripts/bundle.sh ]; then
  scripts/bundle.sh   # build/lib with RPATH $ORIGIN/lib: the job nodes need no package
fi
build/lorahpo --version

echo "== 2. Python >= 3.10, LitGPT $litgpt_version and lm_eval $lm_eval_version in $venv"
python="${LORAHPO_PYTHON:-python3}"
python_version() { "$1" --version 2>&1 | awk '{print $2}'; }
at_least_310() { [ "$(printf '%s\n3.10\n' "$1" | sort -V | head -n 1)" = 3.10 ]; }
version="$(python_version "$python" || true)"
if ! at_least_310 "$version" && [ -z "${LORAHPO_PYTHON:-}" ]; then
  # uv installs a standalone CPython into ~/.local/share/uv (the NFS home: every node sees it).
  uv_bin="$(command -v uv || true)"
  [ -z "$uv_bin" ] && [ -x "$HOME/.local/bin/uv" ] && uv_bin="$HOME/.local/bin/uv"
  if [ -n "$uv_bin" ]; then
    "$uv_bin" python install 3.11
    python="$("$uv_bin" python find 3.11)"
    version="$(python_version "$python" || true)"
  fi
fi
if ! at_least_310 "$version"; then
  cat >&2 <<MSG
g5k_setup: $python is Python ${version:-?}; litgpt $litgpt_version needs Python >= 3.10 (Debian 11 has 3.9).
Give a newer one, then run this again:
  - Grid'5000's modules: \`module av python\`, \`module load <a python 3.10+ module>\`, then
    LORAHPO_PYTHON="\$(command -v python3)" HF_TOKEN=... deploy/g5k_setup.sh
  - or uv: \`python3 -m pip install --user uv\` (puts ~/.local/bin/uv), then run this again:
    it installs CPython 3.11 under ~/.local/share/uv.
MSG
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
pip install --upgrade pip
pip install "litgpt[extra]==$litgpt_version" "lm_eval[hf]==$lm_eval_version"
litgpt --help >/dev/null

echo "== 3. the model, once: downloaded, converted to lit_model.pth, safetensors removed"
checkpoint="models/checkpoints/$model"
if [ ! -f "$checkpoint/lit_model.pth" ]; then
  # litgpt download = snapshot_download(*.safetensors*, config, tokenizer) then
  # convert_hf_checkpoint (litgpt v0.5.13 scripts/download.py download_from_hub).
  litgpt download "$model" --access_token "$HF_TOKEN" --checkpoint_dir models/checkpoints
fi
test -f "$checkpoint/lit_model.pth"
# The converted lit_model.pth is all LitGPT reads; the Hugging Face weights (6.4 GB) are a copy.
rm -f "$checkpoint"/*.safetensors "$checkpoint/model.safetensors.index.json"

echo "== 4. the data, once, through the loaders the trials use"
export HF_HOME="$repo/hf_home"
python - <<'PY'
from pathlib import Path

# litgpt v0.5.13 data/alpaca.py: prepare_data calls self.download_dir.mkdir(...): a Path.
from litgpt.data import Alpaca
Alpaca(download_dir=Path("datasets/alpaca")).prepare_data()

# lm_eval 0.4.9 tasks/__init__.py TaskManager.load_task_or_group builds each task, and
# ConfigurableTask.__init__ downloads its dataset (api/task.py download -> datasets.load_dataset):
# HellaSwag, and MMLU subject by subject (tasks/mmlu: dataset_path cais/mmlu, one
# dataset_name per subject), exactly the cache entries `litgpt evaluate` will look up.
from lm_eval.tasks import TaskManager
TaskManager().load_task_or_group(["hellaswag", "mmlu"])
PY

echo "== 5. offline, as in the jobs: the preflight, then 2 short evaluations on this node"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
first_try="configs/llama32_3b/first_try.yaml"
scripts/mpirun.sh -np 2 -x HF_HOME -x HF_HUB_OFFLINE -x HF_DATASETS_OFFLINE \
  build/lorahpo preflight "$first_try"
mapfile -t args < <(lorahpo_run_args "$first_try" runs/first_try)
scripts/mpirun.sh -np 2 -x HF_HOME -x HF_HUB_OFFLINE -x HF_DATASETS_OFFLINE build/lorahpo "${args[@]}"
echo "setup done: submit a campaign with  oarsub -S \"./deploy/oar/lorahpo.oar configs/llama32_3b/soo.yaml\""
