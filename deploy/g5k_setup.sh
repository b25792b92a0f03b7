#!/usr/bin/env bash
# One-time setup of lorahpo for Grid'5000, run from the repository root (in your NFS home, which
# every node of the site sees) inside an interactive job on one chuc node:
#   oarsub -I -l nodes=1,walltime=2:00:00 -p "cluster='chuc'"
#   HF_TOKEN=hf_... deploy/g5k_setup.sh
# It builds lorahpo, installs LitGPT with lm_eval in a virtual environment, and downloads
# Llama-3.2-3B (a gated model: accept its licence on huggingface.co and create a token first),
# Alpaca and the HellaSwag/MMLU data once, to the repository's models/, datasets/ and hf_home/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
: "${HF_TOKEN:?set HF_TOKEN to a Hugging Face token that can read meta-llama/Llama-3.2-3B}"
venv="${LORAHPO_VENV:-$repo/.venv-litgpt}"

echo "== 1. lorahpo (Debian packages via sudo-g5k, build in build/)"
SUDO=sudo-g5k
command -v sudo-g5k >/dev/null || SUDO=sudo
$SUDO env DEBIAN_FRONTEND=noninteractive bash scripts/install_deps.sh
scripts/build.sh
build/lorahpo --version

echo "== 2. LitGPT and lm_eval in $venv"
python3 -m venv "$venv"
# shellcheck disable=SC1091
source "$venv/bin/activate"
pip install --upgrade pip
pip install 'litgpt[all]' 'lm_eval[hf]'
litgpt --help >/dev/null

echo "== 3. the model, once (about 6.5 GB)"
mkdir -p models/checkpoints datasets/alpaca hf_home
litgpt download meta-llama/Llama-3.2-3B --access_token "$HF_TOKEN" --checkpoint_dir models/checkpoints
test -f models/checkpoints/meta-llama/Llama-3.2-3B/lit_model.pth

echo "== 4. the data, once: Alpaca for training, HellaSwag and MMLU for lm_eval"
export HF_HOME="$repo/hf_home"
python3 - <<'PY'
from litgpt.data import Alpaca
Alpaca(download_dir="datasets/alpaca").prepare_data()
import datasets
datasets.load_dataset("Rowan/hellaswag")
datasets.load_dataset("cais/mmlu", "all")
PY

echo "== 5. a check of the whole path on this node: 2 evaluations with a short lm_eval"
scripts/mpirun.sh -np 2 build/lorahpo run configs/llama32_3b/first_try.yaml --out runs/first_try
echo "setup done: submit a campaign with  oarsub -S ./deploy/oar/lorahpo.oar"
