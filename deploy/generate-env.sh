#!/usr/bin/env bash
# Write deploy/.env from deploy/.env.example with a fresh random value for every empty (required)
# setting; values already filled in the example are kept. Refuses to overwrite an existing file.
#
#     deploy/generate-env.sh            # writes deploy/.env
#     deploy/generate-env.sh OUT_FILE
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-${here}/.env}"
if [[ -e "${out}" ]]; then
  echo "generate-env: ${out} exists; remove it first to generate new secrets" >&2
  exit 1
fi

umask 077
while IFS= read -r line || [[ -n "${line}" ]]; do
  if [[ "${line}" =~ ^([A-Z][A-Z0-9_]*)=$ ]]; then
    # 32 random bytes as 64 hex digits: safe in URLs and in the NATS configuration.
    echo "${BASH_REMATCH[1]}=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
  else
    echo "${line}"
  fi
done <"${here}/.env.example" >"${out}"
echo "generate-env: wrote ${out}" >&2
