// The lab's fixed facts, shared by the catalog, the preflight and the tests (the address plan is in the README and
// scripts/lib.sh; test/cluster-kit checks that they agree). No Node modules: the deck imports this too.
import type { Lab, PreflightAction } from './types.ts'

export const LAB = {
  namespace: 'dev1',
  otherNamespace: 'default',
  kindContext: 'kind-calico-lab',
  lbService: 'productpage-lb',
  lbIp: '198.19.48.10',
  allowedRange: '198.19.15.0/24',
  host1Ip: '198.19.15.254',
  otherIp: '198.19.14.254',
  deployments: ['details-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'productpage-v1'],
} as const

/** kind when the context is the rehearsal's (or DEMO_LAB=kind), else the VMs. */
export function labFor(context: string | null, override: string | undefined = process.env.DEMO_LAB): Lab {
  if (override === 'kind' || override === 'vms') return override
  return context === LAB.kindContext ? 'kind' : 'vms'
}

/**
 * The checklist of `npm run demo:check`, on the first demo slide. Its one write: a CalicoNodeStatus per node where
 * none serves it (bgp/nodeStatus.ts), so calico-node reports its BGP sessions.
 */
export const preflight: PreflightAction = {
  id: 'preflight',
  title: 'Preflight: is the lab ready for the demo?',
  kind: 'preflight',
  shownCommand: 'npm run demo:check -- --summary',
  namespaces: [],
  // the BGP checks may wait up to 20 s for calico-node's first report (bgp/checks.ts)
  timeoutMs: 60_000,
}
