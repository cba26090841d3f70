// Routing internals: a node's routes and BIRD sessions (calico-node runs with hostNetwork, so `ip route` inside it is
// the node's own table, and its image ships BIRD's client), a pod's own view, and host1's route to the LoadBalancer.
import { LAB } from './lab.ts'
import { onOutsideClient } from './probes.ts'
import type { ExecAction, HostAction } from './types.ts'

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

export const nodeBgpStatus = onCalicoNode('node-bgp-status', 'BIRD on that node: the node-to-node mesh and the peer host1', ['birdcl', '-s', '/var/run/calico/bird.ctl', 'show', 'protocols'])

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

export const host1Routes: HostAction = {
  id: 'host1-routes',
  title: `host1, outside the cluster: ${LAB.lbIp}/32 learned over BGP from the node running productpage`,
  kind: 'host',
  argv: onOutsideClient('host1', ['ip', 'route']),
  namespaces: [],
  timeoutMs: READ_TIMEOUT_MS,
}

export const routingActions = [nodeRoutes, nodeBgpStatus, podNetwork, host1Routes]
