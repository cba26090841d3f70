// Calico's flow logs for the lab in tests: the fake whisker pod (test/fakeWhisker: whisker-backend v3.31.7's JSON behind
// nginx's routing) reached through a port-forward from the fake API server, and flow records of matrix cells written
// the way Felix names their ends — a pod as generateName + "*" (or its name), an address of the allowed range by its
// GlobalNetworkSet (manifests/41), any other outside address as "PUBLIC NETWORK". Which policy hit a record carries is
// written by each test, by hand: the records are the test's input, never derived from the engine they are compared with.
import { MATRIX_SOURCES, MATRIX_TARGETS, reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import type { Action, ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { matchesLabelSelectorText } from '../../demo-server/src/policy/labelSelector.ts'
import type { FakeKube } from '../fakeKube/server.ts'
import { whiskerObjects, WHISKER_POD } from '../fakeWhisker/objects.ts'
import { attachPortForward } from '../fakeWhisker/portForward.ts'
import type { PortForwardBridge } from '../fakeWhisker/portForward.ts'
import { endOfTier, flowResponse, hit } from '../fakeWhisker/records.ts'
import type { GoFlowResponse, GoPolicyHit } from '../fakeWhisker/records.ts'
import { startFakeWhisker } from '../fakeWhisker/server.ts'
import type { FakeWhisker, FakeWhiskerOptions } from '../fakeWhisker/server.ts'
import { labObjects } from './labObjects.ts'

export { endOfTier, hit }

/** The allowed range's GlobalNetworkSet, as the lab applies it. */
export const ALLOWED_RANGE_SET = readManifests(REPO_ROOT, ['manifests/41-allowed-range-networkset.yaml'])

/**
 * The matrices' flow-log wait in tests: a read a second, 3 s after the last probe (the catalog's is 45 s); the records
 * a test writes are all there will be (no flush to wait for).
 */
export const QUICK_FLOW_LOGS = { ...reachMatrix.flowLogs!, deadlineSeconds: 3, pollSeconds: 1, flushSeconds: 0 }

/** A catalog whose matrices wait for flow logs as QUICK_FLOW_LOGS says (and take `matrix`'s other fields). */
export function withQuickFlowLogs(actions: readonly Action[], matrix: Partial<ProbeMatrixAction> = {}): Action[] {
  return actions.map((a) => (a.kind === 'probe-matrix' ? { ...a, ...matrix, flowLogs: QUICK_FLOW_LOGS } : a))
}

export interface WhiskerLab {
  whisker: FakeWhisker
  bridge: PortForwardBridge
  close(): Promise<void>
}

/** Service calico-system/whisker and its Ready pod in the fake API server, a fake whisker pod behind a port-forward. */
export async function attachWhisker(fake: FakeKube, options: FakeWhiskerOptions = {}): Promise<WhiskerLab> {
  for (const o of whiskerObjects()) fake.upsert(o)
  const whisker = await startFakeWhisker(options)
  const bridge = attachPortForward(fake, { pods: [`calico-system/${WHISKER_POD}`], port: 8081, upstream: { host: '127.0.0.1', port: whisker.port } })
  return {
    whisker,
    bridge,
    close: async () => {
      bridge.detach()
      await whisker.close()
    },
  }
}

interface LabPod { metadata: { name: string; namespace: string; generateName?: string; labels?: Record<string, string> } }
const pods = (labObjects() as Array<{ kind: string } & LabPod>).filter((o) => o.kind === 'Pod')
const flowName = (p: LabPod): string => (p.metadata.generateName ? `${p.metadata.generateName}*` : p.metadata.name)

/** How a flow record names a matrix row's end. */
export function rowEnd(row: string): { name: string; namespace: string; labels?: Record<string, string> } {
  const source = MATRIX_SOURCES.find((s) => s.id === row)
  if (!source) throw new Error(`no matrix row ${row}`)
  if (source.outside) return source.outside.ip.startsWith('198.19.15.') ? { name: 'allowed-outside-range', namespace: '-' } : { name: 'PUBLIC NETWORK', namespace: '-' }
  const pod = pods.find((p) => p.metadata.namespace === source.pod!.namespace && matchesLabelSelectorText(source.pod!.selector, p.metadata.labels ?? {}))
  if (!pod) throw new Error(`no lab pod for row ${row}`)
  return { name: flowName(pod), namespace: pod.metadata.namespace, ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}) }
}

/** How a flow record names a matrix column's end: its first backend, and the port after DNAT. */
export function colEnd(col: string): { name: string; namespace: string; labels?: Record<string, string>; port: number; protocol: string } {
  const target = MATRIX_TARGETS.find((t) => t.id === col)
  if (!target) throw new Error(`no matrix column ${col}`)
  const pod = pods.find((p) => p.metadata.namespace === target.namespace && matchesLabelSelectorText(target.selector, p.metadata.labels ?? {}))
  if (!pod) throw new Error(`no lab pod for column ${col}`)
  return { name: flowName(pod), namespace: pod.metadata.namespace, ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}), port: target.port, protocol: target.protocol.toLowerCase() }
}

export interface Side {
  action: 'Allow' | 'Deny'
  enforced: GoPolicyHit[]
  pending?: GoPolicyHit[]
}

/** The records one cell's probe leaves: the source node's (egress) and/or the destination node's (ingress). */
export function cellRecords(row: string, col: string, at: number, sides: { src?: Side; dst?: Side }): GoFlowResponse[] {
  const source = rowEnd(row)
  const { port, protocol, ...dest } = colEnd(col)
  const out: GoFlowResponse[] = []
  for (const [reporter, side] of [['Src', sides.src], ['Dst', sides.dst]] as const) {
    if (!side) continue
    out.push(flowResponse({ at, action: side.action, reporter, source, dest: { ...dest, port }, protocol, enforced: side.enforced, ...(side.pending ? { pending: side.pending } : {}) }))
  }
  return out
}

/** A namespace's profile allowing (no policy selects the pod): Felix's __PROFILE__ hit (goldmane/proto/methods.go). */
export const profile = (namespace: string): GoPolicyHit => ({ ...hit('Profile', `kns.${namespace}`, { action: 'Allow' }), tier: '' })

/** A Calico NetworkPolicy of dev1 allowing by rule `rule`. */
export const allowBy = (policy: string, rule = 0, index = 0): GoPolicyHit => hit('CalicoNetworkPolicy', policy, { namespace: 'dev1', action: 'Allow', rule, index })

/** The end of the default tier, after the policy that selected the endpoint. */
export const denyAtEnd = (policy: string, kind: 'CalicoNetworkPolicy' | 'StagedNetworkPolicy' = 'CalicoNetworkPolicy', index = 1): GoPolicyHit => endOfTier({ kind, name: policy, namespace: 'dev1' }, { index })

/** The platform's default deny for dev1 (manifests/50, staged in 49): the end of tier platform-baseline after it. */
export const platformDenyAtEnd = (staged = false, index = 0): GoPolicyHit =>
  endOfTier({ kind: staged ? 'StagedGlobalNetworkPolicy' : 'GlobalNetworkPolicy', name: 'platform-baseline.dev1-default-deny' }, { tier: 'platform-baseline', index })

/** The platform's standing DNS allow for the pods that call someone (manifests/42), by its rule `rule`. */
export const platformDnsAllow = (staged = false, rule = 0): GoPolicyHit =>
  hit(staged ? 'StagedGlobalNetworkPolicy' : 'GlobalNetworkPolicy', 'platform.dev1-dns-for-callers', { tier: 'platform', action: 'Allow', rule })
