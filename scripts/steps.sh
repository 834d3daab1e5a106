# Sourced by rebuild_on_generator.sh and faces_figures.sh: strict mode, and
#   KEEP_GOING=1   a failed step does not stop the next ones (the script's exit status still says one failed:
#                  end it with `exit ${failed:-0}`);
#   ONLY_MISSING=1 `step OUTPUT COMMAND...` skips COMMAND when OUTPUT exists (finishing a rebuild cut short).
set -euo pipefail
if [ "${KEEP_GOING:-0}" = 1 ]; then set +e; trap 'failed=1' ERR; fi
step() {
  if [ "${ONLY_MISSING:-0}" = 1 ] && [ -e "$1" ]; then echo "kept $1"; return 0; fi
  shift && "$@"
}
