# Sourced by demo.sh and test.sh. check_tools: git, Python 3.11+ and its venv module are
# there, or say the command that installs them. setup_env [EXTRAS]: make .venv and install
# modelyard (with pip extras such as "[test]") into it, saying what it is doing.

# the exact command to install a Debian package: as root, apt-get itself; else through sudo
if [ "${EUID:-$(id -u)}" = 0 ]; then APT="apt-get install"; else APT="sudo apt-get install"; fi

need() {
  # need COMMAND-THAT-MUST-WORK MESSAGE
  if ! eval "$1" >/dev/null 2>&1; then
    echo "error: $2" >&2
    exit 1
  fi
}

check_tools() {
  need "command -v git" "git is not installed; on Debian or Ubuntu: $APT git"
  need "command -v python3" \
    "python3 is not installed; on Debian or Ubuntu: $APT python3 python3-venv"
  need "python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'" \
    "modelyard needs Python 3.11 or newer; this python3 is $(python3 -V 2>&1)"
  if [ ! -x .venv/bin/python ]; then
    # Debian's python3 has the venv module but not ensurepip until python3-venv is installed
    need "python3 -c 'import venv, ensurepip'" \
      "python3 cannot make a virtual environment; on Debian or Ubuntu: $APT python3-venv"
  fi
}

setup_env() {
  local extras="${1:-}"
  check_tools
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv (a virtual environment for modelyard)"
    python3 -m venv .venv
  fi
  echo "== installing modelyard${extras:+ with $extras} and its dependencies into .venv"
  echo "   (about 30 s the first time, a few seconds after that)"
  # pip's own lines, less the "already satisfied" ones: what it fetches and installs
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off \
    -e ".$extras" 2>&1 | sed -u -n \
    -e 's/^Collecting \([^ ]*\).*/   fetching \1/p' \
    -e 's/^Installing collected packages: /   installing: /p' \
    -e '/^Successfully installed/p' \
    -e '/^ERROR/p' -e '/^error/p'
  echo "== modelyard $(.venv/bin/python -c 'import modelyard; print(modelyard.__version__)') is ready in .venv"
}
