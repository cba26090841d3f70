// One connection attempt (netpol's probe.go), and the one interface every way of making it implements (cyclonus's
// ProbeJobRunner): a job goes in, an observed opinion comes out. probeRunners.ts has the implementations — exec in the
// pod, an ephemeral debug container in the pod, a client outside the cluster. The commands and what their output
// means are verdict.ts's; this file aims them (a column's ClusterIP, an outside client's URL) and gives them their
// context (the Service's ready endpoints, Felix's deny action), both read from the API (clusterRead.ts).
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import type { Lab } from '../host/programs.ts'
import { shellLine } from '../host/programs.ts'
import type { TargetFacts } from './clusterRead.ts'
import { DEBUG_CONTAINER } from './debugContainer.ts'
import type { Opinion } from './reachability.ts'
import { curlProbeArgv, dnsProbeArgv, failedProbe, REASON_SAID, tcpProbeArgv, VERDICT_OF } from './verdict.ts'
import type { ProbeContext, ProbeTool, ProbeVerdict, Reason } from './verdict.ts'

export interface ProbeJob {
  source: MatrixSource
  target: MatrixTarget
  /** every tool bounds itself at this many seconds */
  timeoutSeconds: number
  /** the column as the API describes it */
  facts: TargetFacts
  denyAction: ProbeContext['denyAction']
}

/** What a probe saw: allowed, denied, or error when the check itself could not be made (never "denied"). */
export interface Observation extends Opinion {
  verdict: 'allowed' | 'denied' | 'error'
  /** the reason code (verdict.ts) */
  evidence: Reason
  /** the sentence for the hover text */
  reason: string
  command: string
  raw: string
  ms: number
}

export interface ProbeRunner {
  /** resolves when probes can start (a debug container is running, or could not be started); absent: at once */
  ready?: Promise<unknown>
  run(job: ProbeJob, signal: AbortSignal): Promise<Observation>
}

/** A classified probe as the wire carries it. */
export function observation(v: ProbeVerdict, command: string, raw: string, ms: number): Observation {
  return { verdict: v.verdict, evidence: v.reason, reason: v.detail, command, raw, ms }
}

/** A probe that did not run or did not finish: an error cell that says why (image not pulled, exec failed…). */
export function probeFailed(message: string, command = '', raw = '', ms = 0): Observation {
  return observation(failedProbe(message), command, raw, ms)
}

/** A cell that could not be aimed: its row has no pod, or its column no Service address. */
export function notProbed(reason: 'no-pod' | 'no-service', text: string, command = ''): Observation {
  return { verdict: VERDICT_OF[reason], evidence: reason, reason: `${REASON_SAID[reason]}: ${text}`, command, raw: '', ms: 0 }
}

/**
 * The argv a pod runs for one cell (busybox tools, no shell), and which tool reads its output: nc to the Service's
 * ClusterIP for a TCP column, nslookup of a fully qualified name asked of kube-dns's ClusterIP for the DNS column.
 */
export function podProbeCommand(target: MatrixTarget, facts: TargetFacts, timeoutSeconds: number): { tool: ProbeTool; argv: string[] } | { problem: string } {
  if (!facts.clusterIp) return { problem: facts.problem ?? `Service ${target.namespace}/${target.service} has no ClusterIP` }
  if (target.kind === 'dns') return { tool: 'dns', argv: dnsProbeArgv({ server: facts.clusterIp }, timeoutSeconds) }
  return { tool: 'nc', argv: tcpProbeArgv({ ip: facts.clusterIp, port: target.port }, timeoutSeconds) }
}

/** What the classifier needs to know about the path of a pod probe (through the Service's ClusterIP). */
export function podProbeContext(job: ProbeJob): ProbeContext {
  return { readyEndpoints: (job.facts.readyEndpoints ?? 1) > 0, denyAction: job.denyAction, timeoutSeconds: job.timeoutSeconds }
}

/** Where an outside client aims: the LoadBalancer address when the target has one, else a backend pod's address. */
export function outsideUrl(target: MatrixTarget, podIp: string | undefined): string | undefined {
  if (target.external) return `http://${target.external.ip}:${target.external.port}/`
  return podIp ? `http://${podIp}:${target.port}/` : undefined
}

/**
 * An outside probe's path: through the LoadBalancer Service (kube-proxy rejects when it has no ready endpoints), or
 * straight to a pod's address (no Service on the way: a refusal is the pod's own).
 */
export function outsideProbeContext(job: ProbeJob): ProbeContext {
  const ready = job.target.external ? (job.facts.external?.readyEndpoints ?? job.facts.readyEndpoints ?? 1) > 0 : true
  return { readyEndpoints: ready, denyAction: job.denyAction, timeoutSeconds: job.timeoutSeconds }
}

/** The argv an outside client runs: the lab's fixed prefix (an allow-listed program) + curl built from catalog values. */
export function outsideProbeCommand(source: MatrixSource, lab: Lab, url: string, timeoutSeconds: number): { tool: ProbeTool; argv: string[] } {
  const outside = source.outside
  if (!outside) throw new Error(`${source.id} is not an outside client`)
  return { tool: 'curl', argv: [...outside.argv[lab], ...curlProbeArgv(url, timeoutSeconds, outside.curlArgs?.[lab] ?? [])] }
}

/** `kubectl exec -n NS POD -c CONTAINER -- ARGV`: a pod probe as one would type it. */
export function podProbeLine(namespace: string, pod: string, container: string | undefined, argv: readonly string[]): string {
  return `kubectl exec -n ${namespace} ${pod}${container ? ` -c ${container}` : ''} -- ${shellLine(argv)}`
}

/** An address from the documentation range, replaced by <cluster-ip> in the line shown before a run. */
const SHOWN_IP = '192.0.2.1'

/**
 * The command a matrix step shows before it runs: one pod probe with its pod and the Service's ClusterIP left as <pod>
 * and <cluster-ip> (each cell's exact command is in its hover text once it ran).
 */
export function matrixShownCommand(action: ProbeMatrixAction): string {
  const tcp = action.targets.find((t) => t.kind === 'http') ?? action.targets[0]
  if (!tcp) return ''
  const namespace = action.sources.find((s) => s.pod)?.pod?.namespace ?? tcp.namespace
  const aimed = podProbeCommand(tcp, { clusterIp: SHOWN_IP, port: tcp.port }, action.probeTimeoutSeconds)
  if ('problem' in aimed) return ''
  const line = podProbeLine(namespace, 'POD', DEBUG_CONTAINER, aimed.argv).replace(' POD ', ' <pod> ').replace(` ${SHOWN_IP} `, ' <cluster-ip> ')
  return `${line}   # every cell at once`
}
