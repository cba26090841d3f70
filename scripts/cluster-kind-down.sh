#!/usr/bin/env bash
# npm run cluster:kind:down [-- --dry-run]
# Removes what cluster-kind.sh made: the kind cluster, the outside clients and the Docker network. Idempotent.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_args "$@"
cd_repo_root

require docker kind

say "Removing the calico-lab rehearsal"
run kind delete cluster --name calico-lab
for host in host1 host2; do
  if probe docker container inspect "$host"; then run docker rm -f "$host"; fi
done
if probe docker network inspect calico-lab; then
  run docker network rm calico-lab
fi
