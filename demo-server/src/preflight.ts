// The preflight a presenter runs 5 minutes before the talk (`npm run demo:check`, and a slide component).
//
// Two halves, so each can be tested alone:
//   collectSnapshot(kc)  reads the cluster through client-node's typed APIs (every call bounded by a timeout and
//                        ended by the caller's signal);
//   evaluate(snapshot)   turns what was read into checks — pure, no I/O.
// Checks of the outside clients need the presenter's machine (docker / multipass): they run only when the caller
// passes `runHost` (scripts/demo-check.ts does, the demo server need not); otherwise they are reported as skipped.
import * as k8s from '@kubernetes/client-node'
import { bgpChecks } from './bgp/checks.ts'
import { LAB, labFor } from './catalog/lab.ts'
import { POLICY_STEPS } from './catalog/policySteps.ts'
import type { Lab } from './catalog/types.ts'
import { WhiskerFlowsReader } from './flows/index.ts'
import { FLOW_LOG_COMPONENTS, flowLogChecks } from './flows/readiness.ts'
import type { ProgramResult } from './host/programs.ts'
import { abortable } from './kube/clients.ts'
import { describeClusterError } from './kube/cluster.ts'
import { readManifests, REPO_ROOT } from './manifests.ts'
import { debugImageCheck } from './matrix/debugImage.ts'

export type CheckStatus = 'pass' | 'fail' | 'skip'

export interface CheckResult {
  id: string
  title: string
  /** false only for a failed check; a skipped check is ok (nothing known to be wrong) */
  ok: boolean
  status: CheckStatus
  detail: string
  /** what to do about a ✘ (empty when ok) */
  fix: string
}

/** One read from the API: its value, or why it could not be read. */
export type Fetched<T> = { ok: true; value: T } | { ok: false; error: string; notFound: boolean }

export interface ClusterSnapshot {
  context: string | null
  server: string | null
  version: Fetched<string>
  nodes: Fetched<k8s.V1Node[]>
  tigerastatuses: Fetched<TigeraStatus[]>
  deployments: Fetched<k8s.V1Deployment[]>
  alpineDev1: Fetched<k8s.V1Pod>
  alpineDefault: Fetched<k8s.V1Pod>
  lbService: Fetched<k8s.V1Service>
  /** names of projectcalico.org/v3 NetworkPolicies in dev1, and of its StagedNetworkPolicies as "staged:<name>" */
  policies: Fetched<string[]>
}

export interface TigeraStatus {
  metadata?: { name?: string }
  status?: { conditions?: { type?: string; status?: string; message?: string; reason?: string }[] }
}

/** Runs one fixed argv on the presenter's machine, without a shell (host/programs.ts runHostProgram). */
export type RunHost = (argv: readonly string[]) => Promise<Pick<ProgramResult, 'exitCode' | 'stdout' | 'stderr' | 'failure'>>

export interface PreflightOptions {
  /** per API call, ms */
  timeoutMs?: number
  runHost?: RunHost
  /** default: from the context (labFor) */
  lab?: Lab
  /** ends every read (a run's cancel or timeout) */
  signal?: AbortSignal
}

// ---- reading ---------------------------------------------------------------------------------------------------

function describeError(e: unknown, timeoutMs?: number): { error: string; notFound: boolean } {
  const { kind, message } = describeClusterError(e, timeoutMs)
  return { error: message.slice(0, 300), notFound: kind === 'not-found' }
}

/** Reads through clients that stop at `timeoutMs` or when `signal` aborts, whichever comes first. */
function reader(kc: k8s.KubeConfig, timeoutMs: number, signal: AbortSignal) {
  return async <T>(read: (api: <A extends k8s.ApiType>(Api: new (config: k8s.Configuration) => A) => A) => Promise<T>): Promise<Fetched<T>> => {
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
    try {
      return { ok: true, value: await read((Api) => abortable(kc, Api, bounded)) }
    } catch (e) {
      signal.throwIfAborted()
      return { ok: false, ...describeError(e, timeoutMs) }
    }
  }
}

export async function collectSnapshot(kc: k8s.KubeConfig, timeoutMs = 5_000, signal: AbortSignal = new AbortController().signal): Promise<ClusterSnapshot> {
  const context = kc.getCurrentContext() || null
  const server = kc.getCurrentCluster()?.server ?? null
  const unread = <T>(): Fetched<T> => ({ ok: false, error: 'not read: no kubeconfig context', notFound: false })
  if (!context) {
    return {
      context, server, version: unread(), nodes: unread(), tigerastatuses: unread(), deployments: unread(),
      alpineDev1: unread(), alpineDefault: unread(), lbService: unread(), policies: unread(),
    }
  }
  const fetched = reader(kc, timeoutMs, signal)
  const version = await fetched(async (api) => (await api(k8s.VersionApi).getCode()).gitVersion)
  if (!version.ok && !version.notFound) {
    const down = <T>(): Fetched<T> => ({ ok: false, error: `not read: API server unreachable`, notFound: false })
    return {
      context, server, version, nodes: down(), tigerastatuses: down(), deployments: down(),
      alpineDev1: down(), alpineDefault: down(), lbService: down(), policies: down(),
    }
  }
  const [nodes, tigerastatuses, deployments, alpineDev1, alpineDefault, lbService, policies] = await Promise.all([
    fetched(async (api) => (await api(k8s.CoreV1Api).listNode()).items),
    fetched(async (api) => {
      const list = (await api(k8s.CustomObjectsApi).listClusterCustomObject({
        group: 'operator.tigera.io', version: 'v1', plural: 'tigerastatuses',
      })) as { items?: TigeraStatus[] }
      return list.items ?? []
    }),
    fetched(async (api) => (await api(k8s.AppsV1Api).listNamespacedDeployment({ namespace: LAB.namespace })).items),
    fetched((api) => api(k8s.CoreV1Api).readNamespacedPod({ namespace: LAB.namespace, name: 'alpine' })),
    fetched((api) => api(k8s.CoreV1Api).readNamespacedPod({ namespace: LAB.otherNamespace, name: 'alpine' })),
    fetched((api) => api(k8s.CoreV1Api).readNamespacedService({ namespace: LAB.namespace, name: LAB.lbService })),
    fetched(async (api) => {
      // a staged step is a step too: its policies are listed as "staged:<name>", the name Felix gives them; the
      // platform's steps are GlobalNetworkPolicies, outside any namespace
      const names = await Promise.all(([['networkpolicies', ''], ['stagednetworkpolicies', 'staged:'], ['globalnetworkpolicies', ''], ['stagedglobalnetworkpolicies', 'staged:']] as const).map(async ([plural, prefix]) => {
        const custom = api(k8s.CustomObjectsApi)
        const list = (plural.includes('global')
          ? await custom.listClusterCustomObject({ group: 'projectcalico.org', version: 'v3', plural })
          : await custom.listNamespacedCustomObject({ group: 'projectcalico.org', version: 'v3', namespace: LAB.namespace, plural })) as { items?: { metadata?: { name?: string } }[] }
        return (list.items ?? []).map((i) => `${prefix}${i.metadata?.name ?? ''}`)
      }))
      return names.flat()
    }),
  ])
  return { context, server, version, nodes, tigerastatuses, deployments, alpineDev1, alpineDefault, lbService, policies }
}

// ---- judging ---------------------------------------------------------------------------------------------------

const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, ok: true, status: 'pass', detail, fix: '' })
const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, ok: false, status: 'fail', detail, fix })
const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, ok: true, status: 'skip', detail: `skipped: ${detail}`, fix: '' })

let stepPolicies: string[] | undefined
/** Names of the policies the demo's steps create, read from the step files (a staged twin shares its policy's name). */
export function stepPolicyNames(): string[] {
  return (stepPolicies ??= [...new Set(readManifests(REPO_ROOT, POLICY_STEPS.map((s) => s.file)).map((o) => o.metadata.name))])
}

function isReady(node: k8s.V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false
}

function podReady(pod: k8s.V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
}

const APPLY = (file: string) => `kubectl apply --server-side -f ${file}`

/** Pure: the checks for a snapshot (the outside-client checks are added by runPreflight). */
export function evaluate(s: ClusterSnapshot): CheckResult[] {
  const checks: CheckResult[] = []
  const t = {
    context: 'kube context',
    api: 'API server reachable',
    nodes: '3 nodes Ready (1 control plane + 2 workers)',
    calico: 'Calico Available (tigerastatus)',
    bookinfo: 'bookinfo Deployments Ready in dev1',
    alpine: 'alpine pods Running (dev1, default)',
    exposure: `productpage-lb has ${LAB.lbIp}`,
    baseline: 'open baseline: no policy step applied yet',
  }

  if (!s.context) {
    checks.push(fail('context', t.context, 'no kubeconfig or no current context',
      'npm run cluster:kind (rehearsal), or export KUBECONFIG=… / kubectl config use-context … for the VMs'))
  } else {
    const lab = labFor(s.context)
    checks.push(pass('context', t.context, `${s.context} (${s.server ?? 'no server'}) — lab: ${lab === 'kind' ? 'kind rehearsal' : 'VMs'}`))
  }

  const cannot = (why: string) => [
    ['nodes', t.nodes], ['calico', t.calico], ['bookinfo', t.bookinfo], ['alpine', t.alpine],
    ['exposure', t.exposure], ['baseline', t.baseline],
  ].map(([id, title]) => skip(id!, title!, why))

  if (!s.context) {
    checks.push(skip('api', t.api, 'no kube context'), ...cannot('no kube context'))
    return checks
  }
  if (!s.version.ok) {
    checks.push(fail('api', t.api, `${s.server ?? 'API server'}: ${s.version.error}`,
      s.context === LAB.kindContext
        ? 'is Docker running? `docker ps` should list calico-lab-control-plane; else npm run cluster:kind'
        : 'are the VMs running? `multipass list`; `multipass start control node1 node2 host1`'))
    checks.push(...cannot('API server unreachable'))
    return checks
  }
  checks.push(pass('api', t.api, `Kubernetes ${s.version.value}`))

  // nodes
  if (!s.nodes.ok) {
    checks.push(fail('nodes', t.nodes, s.nodes.error, 'kubectl get nodes'))
  } else {
    const nodes = s.nodes.value
    const ready = nodes.filter(isReady)
    const cp = nodes.filter((n) => n.metadata?.labels?.['node-role.kubernetes.io/control-plane'] !== undefined)
    const summary = nodes.map((n) => `${n.metadata?.name}${isReady(n) ? '' : ' (NotReady)'}`).join(', ') || 'none'
    if (nodes.length === 3 && ready.length === 3 && cp.length === 1) checks.push(pass('nodes', t.nodes, summary))
    else checks.push(fail('nodes', t.nodes, `${ready.length}/${nodes.length} Ready, ${cp.length} control plane: ${summary}`,
      'kubectl describe node <name>; a node NotReady right after install usually waits for calico-node (kubectl get pods -n calico-system -o wide)'))
  }

  // Calico
  if (!s.tigerastatuses.ok) {
    checks.push(fail('calico', t.calico, s.tigerastatuses.error, 'is the Tigera operator installed? npm run cluster:kind / cluster:vms'))
  } else {
    const byName = new Map(s.tigerastatuses.value.map((x) => [x.metadata?.name ?? '', x]))
    const available = (x: TigeraStatus | undefined) => x?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false
    const required = ['calico', 'apiserver']
    const missing = required.filter((n) => !byName.has(n))
    // the flow-log components have checks of their own (flows/readiness.ts)
    const notAvailable = [...byName.keys()].filter((n) => !available(byName.get(n)) && !(FLOW_LOG_COMPONENTS as readonly string[]).includes(n))
    const listed = [...byName.keys()].sort().map((n) => `${n}${available(byName.get(n)) ? '' : ' (not Available)'}`).join(', ')
    if (missing.length === 0 && notAvailable.length === 0) checks.push(pass('calico', t.calico, listed))
    else checks.push(fail('calico', t.calico,
      [missing.length ? `missing: ${missing.join(', ')}` : '', notAvailable.length ? `not Available: ${notAvailable.join(', ')}` : '', listed]
        .filter(Boolean).join('; '),
      `kubectl get tigerastatus; kubectl describe tigerastatus ${notAvailable[0] ?? missing[0]}; ${APPLY('manifests/10-calico-installation.yaml')}`))
  }

  // bookinfo
  if (!s.deployments.ok) {
    checks.push(fail('bookinfo', t.bookinfo, s.deployments.error, APPLY('manifests/30-bookinfo.yaml')))
  } else {
    const byName = new Map(s.deployments.value.map((d) => [d.metadata?.name ?? '', d]))
    const problems = LAB.deployments.flatMap((name) => {
      const d = byName.get(name)
      if (!d) return [`${name} missing`]
      const want = d.spec?.replicas ?? 1
      const have = d.status?.readyReplicas ?? 0
      return have >= want && want > 0 ? [] : [`${name} ${have}/${want}`]
    })
    if (problems.length === 0) checks.push(pass('bookinfo', t.bookinfo, LAB.deployments.map((n) => `${n} ✓`).join(' ')))
    else checks.push(fail('bookinfo', t.bookinfo, problems.join(', '),
      problems.some((p) => p.endsWith('missing'))
        ? APPLY('manifests/30-bookinfo.yaml')
        : 'kubectl get pods -n dev1 -o wide; kubectl describe pod -n dev1 <pod> (image pulls take a while on first run)'))
  }

  // alpine
  const alpine = (f: Fetched<k8s.V1Pod>, ns: string) =>
    !f.ok ? `${ns}/alpine ${f.notFound ? 'missing' : f.error}` : podReady(f.value) ? '' : `${ns}/alpine ${f.value.status?.phase ?? 'unknown'}`
  const alpineProblems = [alpine(s.alpineDev1, 'dev1'), alpine(s.alpineDefault, 'default')].filter(Boolean)
  if (alpineProblems.length === 0) checks.push(pass('alpine', t.alpine, 'dev1/alpine Running, default/alpine Running'))
  else checks.push(fail('alpine', t.alpine, alpineProblems.join(', '), APPLY('manifests/31-alpine.yaml')))

  // exposure
  if (!s.lbService.ok) {
    checks.push(fail('exposure', t.exposure, s.lbService.notFound ? 'Service dev1/productpage-lb missing' : s.lbService.error,
      APPLY('manifests/40-productpage-lb.yaml')))
  } else {
    const ips = (s.lbService.value.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(Boolean)
    const etp = s.lbService.value.spec?.externalTrafficPolicy
    if (ips.includes(LAB.lbIp) && etp === 'Local') checks.push(pass('exposure', t.exposure, `EXTERNAL-IP ${ips.join(', ')}, externalTrafficPolicy Local`))
    else checks.push(fail('exposure', t.exposure,
      ips.length ? `EXTERNAL-IP ${ips.join(', ')}, externalTrafficPolicy ${etp}` : 'EXTERNAL-IP <pending>',
      `kubectl get ippools.projectcalico.org; ${APPLY('manifests/21-calico-lb-ippool.yaml')}; kubectl logs -n calico-system deploy/calico-kube-controllers`))
  }

  // baseline
  if (!s.policies.ok) {
    checks.push(fail('baseline', t.baseline, s.policies.error,
      'is the Calico API server up? kubectl get tigerastatus apiserver; kubectl get networkpolicies.projectcalico.org -n dev1; kubectl get globalnetworkpolicies.projectcalico.org'))
  } else {
    const applied = s.policies.value.filter((n) => stepPolicyNames().includes(n.replace(/^staged:/, '').replace(/^default\./, '')))
    if (applied.length === 0) checks.push(pass('baseline', t.baseline, `no step policy in dev1 (${POLICY_STEPS.length} steps ready to apply)`))
    else checks.push(fail('baseline', t.baseline, `already applied: ${applied.join(', ')}`, 'npm run demo:reset'))
  }
  return checks
}

// ---- outside clients -------------------------------------------------------------------------------------------

interface HostCheck {
  title: string
  argv: readonly string[]
  /** stdout must match */
  expect: RegExp
}

const HOST1_UP = new RegExp(`inet ${LAB.host1Ip.replaceAll('.', '\\.')}/`)

/** Fixed, allow-listed argv (docker / multipass), no shell. host1's BGP route has its own check (bgp/checks.ts). */
export const HOST_CHECKS: Record<Lab, HostCheck[]> = {
  kind: [
    {
      title: `host1 (${LAB.host1Ip}) up`,
      argv: ['docker', 'exec', 'host1', 'ip', '-4', 'addr', 'show'],
      expect: HOST1_UP,
    },
    {
      title: `host2 (${LAB.otherIp}, other range) up and routed via host1`,
      argv: ['docker', 'exec', 'host2', 'ip', 'route', 'show', '198.19.48.0/24'],
      expect: new RegExp(`via ${LAB.host1Ip.replaceAll('.', '\\.')}`),
    },
  ],
  vms: [
    {
      title: `host1 (${LAB.host1Ip}) up`,
      argv: ['multipass', 'exec', 'host1', '--', 'ip', '-4', 'addr', 'show'],
      expect: HOST1_UP,
    },
    {
      title: `host1 has the other-range address ${LAB.otherIp}`,
      argv: ['multipass', 'exec', 'host1', '--', 'ip', '-4', 'addr', 'show'],
      expect: new RegExp(`inet ${LAB.otherIp.replaceAll('.', '\\.')}/`),
    },
  ],
}

/** What to do when an outside client is not as expected. */
export const HOST_FIX: Record<Lab, string> = {
  kind: 'npm run cluster:kind (re-creates host1 and host2); BGP sessions: docker exec host1 birdc -s /run/bird.ctl show protocols',
  vms: 'multipass start host1; multipass exec host1 -- sudo systemctl restart calico-lab-address bird; BGP sessions: multipass exec host1 -- sudo birdc show protocols',
}

async function outsideChecks(lab: Lab, runHost: RunHost | undefined): Promise<CheckResult> {
  const title = 'outside clients reachable (allowed range and another range)'
  if (!runHost) return skip('outside', title, 'run from the presenter’s machine: npm run demo:check')
  const problems: string[] = []
  const oks: string[] = []
  for (const check of HOST_CHECKS[lab]) {
    try {
      const r = await runHost(check.argv)
      if (r.exitCode === 0 && check.expect.test(r.stdout)) oks.push(check.title)
      else problems.push(`${check.title}: ${(r.stderr || r.stdout || r.failure || `exit ${r.exitCode ?? '?'}`).trim().split('\n')[0]}`)
    } catch (e) {
      problems.push(`${check.title}: ${describeError(e).error}`)
    }
  }
  return problems.length === 0 ? pass('outside', title, oks.join('; ')) : fail('outside', title, problems.join('; '), HOST_FIX[lab])
}

/** Every check, in checklist order. Never throws. */
export async function runPreflight(kc: k8s.KubeConfig, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const snapshot = await collectSnapshot(kc, options.timeoutMs, options.signal)
  const checks = evaluate(snapshot)
  if (!snapshot.context) return [...checks, skip('outside', 'outside clients reachable (allowed range and another range)', 'no kube context')]
  checks.push(...await flowLogChecks(snapshot.tigerastatuses, (signal) => new WhiskerFlowsReader(kc).locate(signal), { pass, fail, skip }, AbortSignal.any([options.signal ?? new AbortController().signal, AbortSignal.timeout(options.timeoutMs ?? 5_000)])))
  checks.push(await outsideChecks(options.lab ?? labFor(snapshot.context), options.runHost))
  checks.push(await debugImageCheck(kc, { lab: options.lab ?? labFor(snapshot.context), reachable: snapshot.version.ok, signal: options.signal }))
  checks.push(...(await bgpChecks(kc, snapshot, { ...options, lab: options.lab ?? labFor(snapshot.context) })))
  return checks
}

/** The checklist as `npm run demo:check` prints it: ✔ / ✘ / – with what each check found, and the fix for each ✘. */
export function formatChecklist(checks: CheckResult[], color = false): string {
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text)
  const lines: string[] = []
  for (const c of checks) {
    const mark = c.status === 'pass' ? paint(32, '✔') : c.status === 'fail' ? paint(31, '✘') : paint(90, '–')
    lines.push(`${mark} ${c.title} — ${c.detail}`)
    if (c.status === 'fail' && c.fix) lines.push(`    fix: ${c.fix}`)
  }
  const failed = checks.filter((c) => c.status === 'fail').length
  lines.push('', failed === 0 ? paint(32, 'Ready for the demo.') : paint(31, `${failed} check(s) failed: fix them, then run npm run demo:check again.`))
  return lines.join('\n')
}

/**
 * The checklist as the preflight slide shows it (`npm run demo:check -- --summary`): one short line per check, ✓ / ✗ / –
 * and its title; a failed check adds what it found and its fix. A room reads the verdicts; the details are for a ✗.
 */
export function formatChecklistSummary(checks: CheckResult[], color = false): string {
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text)
  const lines: string[] = []
  for (const c of checks) {
    if (c.status === 'pass') lines.push(`${paint(32, '✓')} ${c.title}`)
    else if (c.status === 'skip') lines.push(`${paint(90, '–')} ${c.title} (${c.detail})`)
    else {
      lines.push(`${paint(31, '✗')} ${c.title} — ${c.detail}`)
      if (c.fix) lines.push(`    fix: ${c.fix}`)
    }
  }
  const failed = checks.filter((c) => c.status === 'fail').length
  lines.push(failed === 0 ? paint(32, `Ready for the demo: ${checks.length} checks passed or skipped.`) : paint(31, `${failed} of ${checks.length} checks failed.`))
  return lines.join('\n')
}
