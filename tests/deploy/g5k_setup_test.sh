#!/usr/bin/env bash
# deploy/g5k_setup.sh with stand-ins for what a chuc node would run: sudo-g5k, the build scripts,
# python3 (version and venv), pip, litgpt (download), and the Python modules the data step
# imports (litgpt.data.Alpaca and lm_eval.tasks.TaskManager, in tests/fixtures/g5k_setup/), so
# that the steps are checked in order with their arguments. The snippet of step 4 runs in this
# machine's real Python against those modules: the fake Alpaca.prepare_data calls
# download_dir.mkdir as litgpt v0.5.13 does (a str raises AttributeError there too).
# Prints one line per check and "N passed, N failed".
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
real_python="$(command -v python3)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/support/checks.sh
source "$repo/tests/support/checks.sh"
# shellcheck source=tests/support/fake_tool.sh
source "$repo/tests/support/fake_tool.sh"

make_checkout() {
  rm -rf "${work:?}/ck" "${work:?}/bin" "${work:?}/home" "${work:?}/calls"
  ck="$work/ck"
  mkdir -p "$ck/scripts" "$ck/configs/llama32_3b" "$work/bin" "$work/home"
  cp -r "$repo/deploy" "$ck/deploy"
  cp "$repo/configs/llama32_3b/first_try.yaml" "$ck/configs/llama32_3b/"
  fake_tool "$ck/scripts/install_deps.sh" < /dev/null
  # Each stand-in appends one line "TOOL ARGS" to $work/calls.
  for tool in build.sh bundle.sh mpirun.sh; do recording_tool "$ck/scripts/$tool" "$work/calls"; done
  cat >> "$ck/scripts/build.sh" <<EOF
mkdir -p "$ck/build"
printf '#!/bin/sh\necho "lorahpo \$*" >> "$work/calls"\n' > "$ck/build/lorahpo"
chmod +x "$ck/build/lorahpo"
EOF
  recording_tool "$work/bin/sudo-g5k" "$work/calls"
  # python3 --version: the node's Python (FAKE_PYTHON_VERSION); -m venv DIR: an environment whose
  # bin/ holds the pip, litgpt and python stand-ins.
  fake_tool "$work/bin/python3" <<EOF
#!/usr/bin/env bash
echo "python3 \$*" >> "$work/calls"
case "\$1" in
  --version) echo "Python \${FAKE_PYTHON_VERSION:-3.11.2}" ;;
  -m) [ "\$2" = venv ] || exit 1
      mkdir -p "\$3/bin"
      printf 'export VIRTUAL_ENV="%s"\nexport PATH="%s/bin:\$PATH"\n' "\$3" "\$3" > "\$3/bin/activate"
      for t in pip litgpt python; do cp "$work/venv_\$t" "\$3/bin/\$t"; chmod +x "\$3/bin/\$t"; done ;;
  *) exit 1 ;;
esac
EOF
  recording_tool "$work/venv_pip" "$work/calls" pip
  # litgpt download: the files of download_from_hub (litgpt v0.5.13 scripts/download.py): the
  # safetensors weights, config and tokenizer files, then the conversion's lit_model.pth.
  fake_tool "$work/venv_litgpt" <<EOF
#!/usr/bin/env bash
echo "litgpt \$*" >> "$work/calls"
if [ "\$1" = download ]; then
  repo_id="\$2" dir=checkpoints
  while [ \$# -gt 0 ]; do [ "\$1" = --checkpoint_dir ] && dir="\$2"; shift; done
  dir="\$dir/\$repo_id"
  mkdir -p "\$dir"
  touch "\$dir/model-00001-of-00002.safetensors" "\$dir/model-00002-of-00002.safetensors" \
        "\$dir/model.safetensors.index.json" "\$dir/config.json" "\$dir/tokenizer.json" \
        "\$dir/lit_model.pth" "\$dir/model_config.yaml"
fi
EOF
  fake_tool "$work/venv_python" <<EOF
#!/usr/bin/env bash
echo "python \$* HF_HOME=\$HF_HOME" >> "$work/calls"
PYTHONPATH="$repo/tests/fixtures/g5k_setup" FAKE_CALLS="$work/calls" exec "$real_python" "\$@"
EOF
}
setup() {  # setup [VAR=VALUE...]: runs deploy/g5k_setup.sh in the checkout
  (cd "$ck" && env "$@" HOME="$work/home" PATH="$work/bin:/usr/bin:/bin" HF_TOKEN=hf_test \
     bash deploy/g5k_setup.sh) > "$work/out" 2>&1
}

# 1. The whole path on a node with Python 3.11.
make_checkout
setup
status=$?
check "setup finishes (exit 0)" test "$status" = 0
[ "$status" = 0 ] || tail -n 20 "$work/out"
grep -v '^python3 --version' "$work/calls" | sed "s|$ck|CK|g; s|$work|W|g" > "$work/seen"
cat > "$work/expected" <<EOF
sudo-g5k env DEBIAN_FRONTEND=noninteractive bash scripts/install_deps.sh
build.sh 
bundle.sh 
lorahpo --version
python3 -m venv CK/.venv-litgpt
pip install --upgrade pip
pip install litgpt[extra]==0.5.13 lm_eval[hf]==0.4.9
litgpt --help
litgpt download meta-llama/Llama-3.2-3B --access_token hf_test --checkpoint_dir models/checkpoints
python - HF_HOME=CK/hf_home
alpaca prepare_data CK/datasets/alpaca
lm_eval load_task_or_group hellaswag,mmlu HF_DATASETS_OFFLINE=unset
mpirun.sh -np 2 -x HF_HOME -x HF_HUB_OFFLINE -x HF_DATASETS_OFFLINE build/lorahpo preflight configs/llama32_3b/first_try.yaml
mpirun.sh -np 2 -x HF_HOME -x HF_HUB_OFFLINE -x HF_DATASETS_OFFLINE build/lorahpo run configs/llama32_3b/first_try.yaml --out runs/first_try
EOF
check "the steps in order, with their arguments" diff -u "$work/expected" "$work/seen"
dir="$ck/models/checkpoints/meta-llama/Llama-3.2-3B"
check "the model: lit_model.pth kept, safetensors removed" \
  bash -c "test -f '$dir/lit_model.pth' && test -f '$dir/config.json' && ! ls '$dir' | grep -q safetensors"
check "runs/ exists (OAR opens -O/-E there before the job)" test -d "$ck/runs"

# 2. Python 3.9 (Debian 11) and no uv: a clear stop before anything is installed in Python.
make_checkout
setup FAKE_PYTHON_VERSION=3.9.2
status=$?
check "Python 3.9: stops with exit 2" test "$status" = 2
check "Python 3.9: says why and what to do" \
  bash -c "grep -q 'is Python 3.9.2; litgpt 0.5.13 needs Python >= 3.10' '$work/out' && grep -q 'module load' '$work/out'"
check "Python 3.9: no environment, no pip" bash -c "! grep -q -e '^pip' -e 'venv' '$work/calls'"

# 3. The Alpaca stand-in is upstream's contract: a str download_dir fails as in litgpt.
check "fake Alpaca: a str download_dir raises AttributeError (as litgpt does)" \
  bash -c "PYTHONPATH='$repo/tests/fixtures/g5k_setup' FAKE_CALLS=/dev/null '$real_python' -c \
    'from litgpt.data import Alpaca; Alpaca(download_dir=\"x\").prepare_data()' 2>&1 | grep -q AttributeError"

# 4. Storage group: the big folders become links into it.
make_checkout
mkdir -p "$work/storage"
setup LORAHPO_STORAGE="$work/storage"
check "storage: models, datasets, hf_home, venv and runs link to the group storage" \
  bash -c "for n in models datasets hf_home .venv-litgpt runs; do [ \"\$(readlink '$ck'/\$n)\" = '$work/storage/'\$n ] || exit 1; done"
check "storage: the model landed there" test -f "$work/storage/models/checkpoints/meta-llama/Llama-3.2-3B/lit_model.pth"

checks_summary
