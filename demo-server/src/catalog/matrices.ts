// The reachability matrix of the lab: every source × every destination, expected (the policy engine on what is live
// in the cluster) beside observed (a real probe), once per demo moment (before any policy step, after each one).
//
// Rows: the six bookinfo pods (probed from an ephemeral busybox container: their images carry no reliable client),
// the two alpine pods (busybox nc / nslookup in their own container), the two outside clients (curl, through docker / multipass).
// Columns: the four bookinfo Services on 9080, and the cluster DNS (kube-dns, 53/UDP).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { FELIX_FLUSH_SECONDS, WHISKER_NAMESPACE } from '../flows/whiskerApi.ts'
import { HOST_PROGRAMS } from '../host/programs.ts'
import { parseLabelSelectorText } from '../policy/labelSelector.ts'
import { LAB } from './lab.ts'
import { matrixAfterSteps, POLICY_STEPS, REACH_MATRIX_ID } from './policySteps.ts'
import { onOutsideClient } from './probes.ts'
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from './types.ts'

export const DEBUG_IMAGE = 'docker.io/library/busybox:1.36'
export const PROBE_TIMEOUT_SECONDS = 2

const bookinfo = (id: string, label: string, selector: string): MatrixSource => ({
  id, label, group: 'bookinfo', pod: { namespace: LAB.namespace, selector, via: 'debug' },
})

export const MATRIX_SOURCES: MatrixSource[] = [
  bookinfo('productpage', 'productpage-v1', 'app=productpage'),
  bookinfo('details', 'details-v1', 'app=details'),
  bookinfo('ratings', 'ratings-v1', 'app=ratings'),
  bookinfo('reviews-v1', 'reviews-v1', 'app=reviews,version=v1'),
  bookinfo('reviews-v2', 'reviews-v2', 'app=reviews,version=v2'),
  bookinfo('reviews-v3', 'reviews-v3', 'app=reviews,version=v3'),
  { id: 'alpine-dev1', label: 'alpine · dev1', group: 'alpine', pod: { namespace: LAB.namespace, selector: 'app=alpine', via: 'exec', container: 'alpine' } },
  { id: 'alpine-default', label: 'alpine · default', group: 'alpine', pod: { namespace: LAB.otherNamespace, selector: 'app=alpine', via: 'exec', container: 'alpine' } },
  {
    id: 'host1',
    label: `host1 · ${LAB.host1Ip}`,
    group: 'outside',
    // host1 is the outside network's BGP router: it learns the pod blocks too, so it can aim at pod addresses
    outside: { ip: LAB.host1Ip, argv: onOutsideClient('host1', []), reaches: 'external-and-pods' },
  },
  {
    id: 'other-range',
    label: `other · ${LAB.otherIp}`,
    group: 'outside',
    outside: {
      ip: LAB.otherIp,
      argv: { kind: onOutsideClient('host2', []).kind, vms: onOutsideClient('host1', []).vms },
      curlArgs: { vms: ['--interface', LAB.otherIp] },
      reaches: 'external',
      unprobed: `not probed: ${LAB.otherIp} has a route to the LoadBalancer range only, not to pod addresses (a timeout would be routing, not policy)`,
    },
  },
]

const service = (id: string): MatrixTarget => ({
  id, label: `${id}:9080`, kind: 'http', namespace: LAB.namespace, service: id, selector: `app=${id}`, port: 9080, protocol: 'TCP',
})

export const MATRIX_TARGETS: MatrixTarget[] = [
  { ...service('productpage'), external: { ip: LAB.lbIp, port: 80 } },
  service('details'),
  service('reviews'),
  service('ratings'),
  { id: 'dns', label: 'kube-dns:53', kind: 'dns', namespace: 'kube-system', service: 'kube-dns', selector: 'k8s-app=kube-dns', port: 53, protocol: 'UDP' },
]

/** The summary matrix (every policy step applied); each demo moment's matrix is a copy of it. */
export const reachMatrix: ProbeMatrixAction = {
  id: REACH_MATRIX_ID,
  title: 'Who reaches whom: expected (engine on the live policies) vs observed (a probe per cell)',
  kind: 'probe-matrix',
  sources: MATRIX_SOURCES,
  targets: MATRIX_TARGETS,
  probeTimeoutSeconds: PROBE_TIMEOUT_SECONDS,
  // 45 probed cells: all at once, so a run takes about one probe timeout (denied probes wait it out). 48 exec
  // streams are light work for an API server and three kubelets; the bound guards against a much bigger catalog.
  concurrency: 48,
  debugImage: DEBUG_IMAGE,
  manifestsDir: 'manifests',
  policyStepsApplied: POLICY_STEPS.length,
  // Felix flushes every 15 s and Goldmane files flows in 15 s buckets: a probe's records are listed 15–30 s after it
  // (flows/README.md, "Timing"); 45 s leaves a flush to spare. Cells with no record by then say so. Before one flush
  // has passed since the last probe, what is listed may be only the previous moment's records.
  flowLogs: { namespaces: [LAB.namespace, LAB.otherNamespace], deadlineSeconds: 45, pollSeconds: 5, flushSeconds: FELIX_FLUSH_SECONDS },
  // reads dev1, default, kube-system; execs in dev1 and default; adds the debug container to dev1's bookinfo pods;
  // reads Calico's flow logs through the whisker pod in calico-system
  namespaces: [LAB.namespace, LAB.otherNamespace, 'kube-system', WHISKER_NAMESPACE],
  timeoutMs: 120_000,
}

/** The same matrix at each earlier moment of the demo: before any policy (0), then after each step but the last. */
export const stepMatrices: ProbeMatrixAction[] = POLICY_STEPS.map((_, n) => ({
  ...reachMatrix,
  id: matrixAfterSteps(n),
  title: n === 0 ? 'Who reaches whom before any policy: expected vs observed' : `Who reaches whom after step ${n}: expected vs observed`,
  policyStepsApplied: n,
}))

export const matrixActions: ProbeMatrixAction[] = [...stepMatrices, reachMatrix]

// ---- validation (called by the Catalog at start-up) ---------------------------------------------------------------

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/

/** Problems with a probe-matrix action, one line each. */
export function matrixProblems(action: ProbeMatrixAction, repoRoot: string): string[] {
  const problems: string[] = []
  const say = (m: string) => problems.push(`${action.id}: ${m}`)
  const selectorProblem = (what: string, selector: string) => {
    try {
      parseLabelSelectorText(selector)
    } catch (error) {
      say(`${what}: ${(error as Error).message}`)
    }
  }
  if (action.sources.length === 0 || action.targets.length === 0) say('needs sources and targets')
  if (action.sources.length > 64 || action.targets.length > 32) say('at most 64 sources and 32 targets')
  for (const [what, list] of [['source', action.sources], ['target', action.targets]] as const) {
    const ids = list.map((x) => x.id)
    for (const id of ids) if (!ID.test(id)) say(`${what} id "${id}" must be lower-case words joined by "-"`)
    if (new Set(ids).size !== ids.length) say(`${what} ids must be unique`)
  }
  for (const s of action.sources) {
    if (!!s.pod === !!s.outside) say(`source ${s.id} must be either a pod or an outside client`)
    if (s.pod) {
      if (!action.namespaces.includes(s.pod.namespace)) say(`source ${s.id} is in ${s.pod.namespace}, which is not in its namespaces`)
      selectorProblem(`source ${s.id}`, s.pod.selector)
    }
    if (s.outside) {
      for (const lab of ['kind', 'vms'] as const) {
        if (!(HOST_PROGRAMS as readonly string[]).includes(s.outside.argv[lab][0])) say(`source ${s.id}: ${s.outside.argv[lab][0]} is not an allowed host program`)
      }
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(s.outside.ip)) say(`source ${s.id}: ${s.outside.ip} is not an IPv4 address`)
    }
  }
  for (const t of action.targets) {
    if (!action.namespaces.includes(t.namespace)) say(`target ${t.id} is in ${t.namespace}, which is not in its namespaces`)
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(t.service)) say(`target ${t.id}: "${t.service}" is not a Service name`)
    if (t.kind === 'dns' && t.protocol !== 'UDP') say(`target ${t.id}: DNS probes use UDP`)
    selectorProblem(`target ${t.id}`, t.selector)
  }
  if (!(Number.isInteger(action.probeTimeoutSeconds) && action.probeTimeoutSeconds >= 1 && action.probeTimeoutSeconds <= 30)) say('probeTimeoutSeconds must be a whole number within [1, 30]')
  if (!(Number.isInteger(action.concurrency) && action.concurrency >= 1 && action.concurrency <= 128)) say('concurrency must be within [1, 128]')
  if (!/^[a-z0-9./:@_-]+$/.test(action.debugImage)) say(`debugImage "${action.debugImage}" is not an image reference`)
  if (!existsSync(resolve(repoRoot, action.manifestsDir))) say(`manifestsDir ${action.manifestsDir} does not exist`)
  if (action.timeoutMs < (action.probeTimeoutSeconds + 10) * 1000) say('timeoutMs leaves no room for one round of probes')
  if (action.flowLogs) {
    const f = action.flowLogs
    if (!action.namespaces.includes(WHISKER_NAMESPACE)) say(`reads flow logs through the whisker pod in ${WHISKER_NAMESPACE}, which is not in its namespaces`)
    if (f.namespaces.length === 0 || f.namespaces.some((ns) => !action.namespaces.includes(ns))) say('flowLogs.namespaces must be some of its namespaces')
    if (!(f.pollSeconds >= 1 && f.deadlineSeconds >= f.pollSeconds)) say('flowLogs: pollSeconds ≥ 1 and deadlineSeconds ≥ pollSeconds')
    if (!(f.flushSeconds >= 0 && f.flushSeconds <= f.deadlineSeconds)) say('flowLogs: flushSeconds within [0, deadlineSeconds]')
    if (action.timeoutMs < (action.probeTimeoutSeconds + 10 + f.deadlineSeconds) * 1000) say('timeoutMs leaves no room to wait for the flow logs')
  }
  return problems
}
