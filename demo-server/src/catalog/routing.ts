// Routing internals: a node's routes (calico-node runs with hostNetwork, so `ip route` inside it is the node's own
// table), a pod's own view, and host1's routes to the LoadBalancer address beside what the manifests promise.
import { LAB } from './lab.ts'
import { onOutsideClient } from './probes.ts'
import type { BgpRoutesAction, ExecAction } from './types.ts'

const READ_TIMEOUT_MS = 10_000

const onCalicoNode = (id: string, title: string, command: string[]): ExecAction => ({
  id,
  title,
  kind: 'exec',
  namespace: 'calico-system',
  // like `kubectl exec ds/calico-node`: a Running pod of the DaemonSet; pinning a node would need a field selector
  target: { daemonSet: 'calico-node' },
  container: 'calico-node',
  command,
  namespaces: ['calico-system'],
  timeoutMs: READ_TIMEOUT_MS,
})

export const nodeRoutes = onCalicoNode('node-routes', 'A node’s routes: cali* /32 per local pod, blackhole for its own /26, other nodes’ blocks via BGP', ['ip', 'route'])

export const podNetwork: ExecAction = {
  id: 'pod-network',
  title: 'Inside a pod: eth0 with a /32, default route via 169.254.1.1',
  kind: 'exec',
  namespace: LAB.namespace,
  target: { pod: 'alpine' },
  command: ['sh', '-c', 'ip -4 addr show eth0; ip route'],
  namespaces: [LAB.namespace],
  timeoutMs: READ_TIMEOUT_MS,
}

/**
 * host1's routes, judged against the node running productpage, beside the expectation. `ip -j` is iproute2's (the
 * VMs' Ubuntu has it; kind's Alpine host1 installs it, scripts/cluster-kind.sh): BusyBox's `ip` has no JSON and prints
 * a multipath route without its next hops, so three next hops would look like a plain route.
 */
export const host1BgpRoutes: BgpRoutesAction = {
  id: 'host1-bgp-routes',
  title: `host1's routes to ${LAB.lbIp}: live, and expected for productpage's node`,
  kind: 'bgp-routes',
  endpoint: { namespace: LAB.namespace, selector: 'app=productpage' },
  argv: onOutsideClient('host1', ['ip', '-j', '-4', 'route', 'show']),
  namespaces: [LAB.namespace],
  timeoutMs: 30_000,
}

export const routingActions = [nodeRoutes, podNetwork, host1BgpRoutes]
