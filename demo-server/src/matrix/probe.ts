// One connection attempt (netpol's probe.go), and the one interface every way of making it implements (cyclonus's
// ProbeJobRunner): a job goes in, an observed opinion comes out. probeRunners.ts has the implementations — exec in the
// pod, an ephemeral debug container in the pod, a client outside the cluster.
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import type { Lab } from '../host/programs.ts'
import { shellLine } from '../host/programs.ts'
import type { Evidence, ProbeTool } from './classify.ts'
import { DEBUG_CONTAINER } from './debugContainer.ts'
import type { Opinion } from './reachability.ts'

export interface ProbeJob {
  source: MatrixSource
  target: MatrixTarget
  /** connect timeout, whole seconds: reaching it is "denied" */
  timeoutSeconds: number
}

/** What a probe saw: allowed, denied, or error when the check itself could not be made. */
export interface Observation extends Opinion {
  verdict: 'allowed' | 'denied' | 'error'
  evidence: Evidence | 'exec-failed' | 'no-pod' | 'debug-container'
  command: string
  raw: string
  ms: number
}

export interface ProbeRunner {
  /** resolves when probes can start (a debug container is running, or could not be started); absent: at once */
  ready?: Promise<unknown>
  run(job: ProbeJob, signal: AbortSignal): Promise<Observation>
}

/** A probe that could not be made: an error cell that says why (never "denied"). */
export function failedProbe(evidence: Observation['evidence'], reason: string, command = '', raw = '', ms = 0): Observation {
  return { verdict: 'error', evidence, reason, command, raw, ms }
}

/** The argv a pod runs for one cell (busybox tools, no shell), and which tool reads its output. */
export function podProbeCommand(target: MatrixTarget, timeoutSeconds: number): { tool: ProbeTool; argv: string[] } {
  // nslookup's own timeout flag differs between busybox releases (-timeout=N before 1.36, -t N after): `timeout` alone
  // bounds it, and the name is one that always exists, so any answer proves the DNS server was reached
  if (target.kind === 'dns') return { tool: 'dns', argv: ['timeout', String(timeoutSeconds), 'nslookup', 'kubernetes.default.svc.cluster.local'] }
  const url = `http://${target.service}.${target.namespace}.svc.cluster.local:${target.port}/`
  return { tool: 'wget', argv: ['timeout', String(timeoutSeconds + 1), 'wget', '-q', '-T', String(timeoutSeconds), '-O', '/dev/null', url] }
}

/** Values the server puts into an outside client's argv: addresses, ports, numbers. Anything else is a bug, refused. */
const SAFE_VALUE = /^[A-Za-z0-9.:/_%{}-]+$/

/** Where an outside client aims: the LoadBalancer address when the target has one, else a backend pod's address. */
export function outsideUrl(target: MatrixTarget, podIp: string | undefined): string | undefined {
  if (target.external) return `http://${target.external.ip}:${target.external.port}/`
  return podIp ? `http://${podIp}:${target.port}/` : undefined
}

/** The argv an outside client runs: the lab's fixed prefix (an allow-listed program) + curl built from catalog values. */
export function outsideProbeCommand(source: MatrixSource, lab: Lab, url: string, timeoutSeconds: number): { tool: ProbeTool; argv: string[] } {
  const outside = source.outside
  if (!outside) throw new Error(`${source.id} is not an outside client`)
  const curl = [
    'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}',
    '--connect-timeout', String(timeoutSeconds), '--max-time', String(timeoutSeconds + 1),
    ...(outside.curlArgs?.[lab] ?? []),
    url,
  ]
  for (const value of curl) if (!SAFE_VALUE.test(value)) throw new Error(`refusing to put ${JSON.stringify(value)} into a host command`)
  return { tool: 'curl', argv: [...outside.argv[lab], ...curl] }
}

/** `kubectl exec -n NS POD -c CONTAINER -- ARGV`: a pod probe as one would type it. */
export function podProbeLine(namespace: string, pod: string, container: string | undefined, argv: readonly string[]): string {
  return `kubectl exec -n ${namespace} ${pod}${container ? ` -c ${container}` : ''} -- ${shellLine(argv)}`
}

/**
 * The command a matrix step shows before it runs: one pod probe with its pod and Service left as <pod> and <service>
 * (each cell's exact command is in its hover text once it ran).
 */
export function matrixShownCommand(action: ProbeMatrixAction): string {
  const http = action.targets.find((t) => t.kind === 'http') ?? action.targets[0]
  const namespace = action.sources.find((s) => s.pod)?.pod?.namespace ?? http?.namespace ?? ''
  if (!http) return ''
  const { argv } = podProbeCommand({ ...http, service: 'SERVICE' }, action.probeTimeoutSeconds)
  const line = podProbeLine(namespace, 'POD', DEBUG_CONTAINER, argv).replace(' POD ', ' <pod> ').replace('//SERVICE.', '//<service>.')
  return `${line}   # every cell at once`
}
