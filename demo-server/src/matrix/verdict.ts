// What one probe of the matrix runs, and what its output says about policy.
//
// The probes test the connection, not the application:
//   - TCP columns, from pods: busybox `nc -vv -z -w T <ClusterIP> <port>` — a TCP handshake and nothing else, to the
//     Service's ClusterIP read from the API (no name lookup, so a DNS outage cannot colour a TCP cell, and `ndots:5`
//     sends no search-list queries). A server that accepts and answers late, or accepts and closes, reads "open".
//   - the DNS column, from pods: busybox `nslookup -timeout=T -retry=2 kubernetes.default.svc.cluster.local. <kube-dns
//     ClusterIP>` — a fully qualified name (trailing dot: no search list) asked of the kube-dns Service itself.
//   - outside clients: `curl -v … -w %{http_code}:%{num_connects}` — num_connects tells a slow server (1: the
//     handshake was made) from a drop (0) when curl times out, and `-v` prints the errno of a failed connect
//     ("connect to … failed: Connection refused" / "No route to host"), which curl ≥ 7.86 no longer puts in its error.
//
// No `timeout` wrapper, so no zombies. busybox `timeout` forks a watcher that daemonizes (reparented to the
// container's PID 1) and exits up to a second after the probe; a PID 1 that never reaps (`sleep`, the debug
// container's command) keeps every one of them as a zombie. Each tool here bounds itself (nc's -w alarm around
// connect, nslookup's own -timeout, curl's --max-time) and none of them forks, so an exec leaves nothing behind.
//
// Verdicts are about policy, and one condition gets one verdict. An ICMP port-unreachable (kube-proxy's REJECT for a
// Service with no ready endpoints, or Felix when its deny action is Reject) reaches a TCP client as "Connection
// refused" — exactly what the target's own RST for a closed port gives — and the kernel rate-limits ICMP, so under a
// burst some probes of the same condition see "refused" and others see nothing until their timeout. The output alone
// therefore cannot carry the verdict; the context read from the API does:
//   - the Service has no ready endpoints      → error "no endpoints", whether the probe was refused or timed out;
//   - Felix's deny action is Reject           → denied "rejected", whether refused or timed out;
//   - otherwise (ready endpoints, action Drop) → refused means the target's kernel answered: allowed, nothing
//     listening; a timeout means dropped: denied. Nothing on that path sends ICMP port-unreachable for TCP.
// A handshake that completed is allowed whatever the context says (the packets got through).
//
// Pure: zod only, no Node modules (the deck may import the reasons).
import { z } from 'zod'

// ---- the commands ----------------------------------------------------------------------------------------------

/** The name the DNS column asks for: exists in every cluster, fully qualified so no search domain is tried. */
export const DNS_PROBE_NAME = 'kubernetes.default.svc.cluster.local.'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const FQDN = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+$/
const HTTP_URL = /^http:\/\/(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})\/$/

function checkSeconds(timeoutSeconds: number): string {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new Error(`probe timeout must be a whole number of seconds within [1, 30], not ${timeoutSeconds}`)
  }
  return String(timeoutSeconds)
}

function checkIp(ip: string, what: string): string {
  if (!IPV4.test(ip)) throw new Error(`${what} must be an IPv4 address, not ${JSON.stringify(ip)}`)
  return ip
}

function checkPort(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port must be within [1, 65535], not ${port}`)
  return String(port)
}

/** A TCP probe from a pod: busybox nc, handshake only, to a ClusterIP (or any address) and port. */
export function tcpProbeArgv(target: { ip: string; port: number }, timeoutSeconds: number): string[] {
  return ['nc', '-vv', '-z', '-w', checkSeconds(timeoutSeconds), checkIp(target.ip, 'the target address'), checkPort(target.port)]
}

/**
 * The DNS probe from a pod: busybox nslookup asks `server` (the kube-dns ClusterIP) for `name`. `-retry=2` sends the
 * query twice within the timeout (one lost datagram is not a verdict); nslookup gives up by itself after T seconds.
 */
export function dnsProbeArgv(target: { server: string; name?: string }, timeoutSeconds: number): string[] {
  const name = target.name ?? DNS_PROBE_NAME
  if (!FQDN.test(name)) throw new Error(`the DNS probe asks for a fully qualified name ending in ".", not ${JSON.stringify(name)}`)
  return ['nslookup', `-timeout=${checkSeconds(timeoutSeconds)}`, '-retry=2', name, checkIp(target.server, 'the DNS server address')]
}

/** The curl `-w` format of the outside probe: HTTP status and how many connections were made, e.g. `200:1`. */
export const CURL_WRITE_OUT = '%{http_code}:%{num_connects}'

/** Options an outside client may add (e.g. `--interface <IPv4>` to leave from a second address): plain words only. */
const CURL_OPTION = /^(--interface|(\d{1,3}\.){3}\d{1,3})$/

/**
 * An HTTP probe from an outside client (the runner puts its docker / multipass prefix in front). `options` go before
 * the URL; only `--interface <IPv4>` is accepted (the catalog's `curlArgs`).
 */
export function curlProbeArgv(url: string, timeoutSeconds: number, options: readonly string[] = []): string[] {
  const m = HTTP_URL.exec(url)
  if (!m) throw new Error(`the outside probe aims at http://<IPv4>:<port>/, not ${JSON.stringify(url)}`)
  checkIp(m[1] ?? '', 'the target address')
  checkPort(Number(m[2]))
  const T = checkSeconds(timeoutSeconds)
  for (const o of options) if (!CURL_OPTION.test(o)) throw new Error(`refusing the curl option ${JSON.stringify(o)} (only --interface <IPv4>)`)
  return ['curl', '-v', '-sS', '-o', '/dev/null', '-w', CURL_WRITE_OUT, '--connect-timeout', T, '--max-time', T, ...options, url]
}

// ---- what a probe printed --------------------------------------------------------------------------------------

/** `nc`: busybox nc; `dns`: busybox nslookup; `curl`; `wget`: busybox wget (recorded outputs of the earlier probe). */
export const probeTool = z.enum(['nc', 'dns', 'curl', 'wget'])
export type ProbeTool = z.infer<typeof probeTool>

/** What a tool printed and how it ended (killed by signal N: 128 + N, as a shell reports it). */
export const toolOutput = z.object({
  tool: probeTool,
  exitCode: z.number().int().min(0).max(255),
  stdout: z.string(),
  stderr: z.string(),
})
export type ToolOutput = z.infer<typeof toolOutput>

/** What the runner reads from the API before it classifies (see the module comment). */
export const probeContext = z.strictObject({
  /** the target Service has at least one ready endpoint for the probed port (`readyEndpointCount` > 0) */
  readyEndpoints: z.boolean(),
  /** Felix's deny action in force (`denyActionOf` on the default FelixConfiguration) */
  denyAction: z.enum(['Drop', 'Reject']),
  /** the probe's timeout, for the sentence shown */
  timeoutSeconds: z.number().int().min(1).max(30).optional(),
})
export type ProbeContext = z.infer<typeof probeContext>

/** The lab's ordinary state: used where nothing else is known (e.g. replaying a recorded output). */
export const DEFAULT_CONTEXT: ProbeContext = { readyEndpoints: true, denyAction: 'Drop' }

export const verdict = z.enum(['allowed', 'denied', 'error'])
export type Verdict = z.infer<typeof verdict>

/**
 * Why. allowed: connected (a TCP handshake or an HTTP answer) · answered (the DNS server replied, even NXDOMAIN) ·
 * nothing-listening (refused by the target's kernel, the Service having ready endpoints). denied: dropped (no answer
 * within the timeout) · rejected (Felix's deny action is Reject). error: the probe says nothing about policy —
 * no-endpoints · rejected-on-path (ICMP unreachable / prohibited from the path) · name-not-resolved · tool-missing ·
 * exec-failed · image-not-pulled · not-understood; and, before any tool ran, no-pod (the row's pod is not there) ·
 * no-service (the column's Service, or its ClusterIP or port, is not there).
 */
export const reason = z.enum([
  'connected',
  'answered',
  'nothing-listening',
  'dropped',
  'rejected',
  'no-endpoints',
  'rejected-on-path',
  'name-not-resolved',
  'tool-missing',
  'exec-failed',
  'image-not-pulled',
  'not-understood',
  'no-pod',
  'no-service',
])
export type Reason = z.infer<typeof reason>

export const VERDICT_OF: Record<Reason, Verdict> = {
  connected: 'allowed',
  answered: 'allowed',
  'nothing-listening': 'allowed',
  dropped: 'denied',
  rejected: 'denied',
  'no-endpoints': 'error',
  'rejected-on-path': 'error',
  'name-not-resolved': 'error',
  'tool-missing': 'error',
  'exec-failed': 'error',
  'image-not-pulled': 'error',
  'not-understood': 'error',
  'no-pod': 'error',
  'no-service': 'error',
}

/** Each reason as a presenter says it aloud: the slide's legend and hover text. */
export const REASON_SAID: Record<Reason, string> = {
  connected: 'allowed: connected',
  answered: 'allowed: the DNS server answered',
  'nothing-listening': 'allowed, nothing listening (refused by the target)',
  dropped: 'denied: dropped (no answer)',
  rejected: "denied: rejected (Felix's deny action is Reject)",
  'no-endpoints': 'not tested: the Service has no ready endpoints',
  'rejected-on-path': 'not tested: rejected on the path (routing, not policy)',
  'name-not-resolved': 'not tested: the name did not resolve',
  'tool-missing': 'not tested: the probe tool is missing',
  'exec-failed': 'not tested: the probe could not run',
  'image-not-pulled': 'not tested: the debug image was not pulled',
  'not-understood': 'not tested: output not understood',
  'no-pod': 'not tested: no pod to probe from',
  'no-service': 'not tested: no Service address to aim at',
}

export interface ProbeVerdict {
  verdict: Verdict
  reason: Reason
  /** the line of output that decided (trimmed), '' when there was none */
  evidence: string
  /** one sentence for the cell's hover text */
  detail: string
}

/**
 * What happened on the wire, read from one tool's output before any context is applied:
 * connected / answered · refused (ECONNREFUSED: an RST, or an ICMP port-unreachable) · timed-out · unreachable
 * (ICMP host/net unreachable or prohibited) · name-not-resolved · tool-missing · not-understood.
 */
export type Observation = 'connected' | 'answered' | 'refused' | 'timed-out' | 'unreachable' | 'name-not-resolved' | 'tool-missing' | 'not-understood'

export interface Observed {
  observation: Observation
  evidence: string
  /** what the output cannot tell apart, said in the detail */
  caveat?: string
}

/** Exit statuses of a tool killed by `timeout` (busybox: SIGTERM 143; coreutils: 124) or by SIGKILL (137). */
const KILLED = new Set([124, 137, 143])

const REFUSED = /connection refused/i
const TIMED_OUT = /(connection|operation) timed out|timeout was reached/i
// glibc: "No route to host", "Network is unreachable"; musl: "Host is unreachable", "Network unreachable"
const UNREACHABLE = /no route to host|host is unreachable|network is unreachable|network unreachable|host unreachable/i
const BAD_NAME = /bad address|could not resolve|couldn't resolve|name or service not known|temporary failure in name resolution|unknown host/i
const MISSING = /executable file not found|: not found$|no such file or directory|applet not found|invalid option|unrecognized option|is unknown|^usage:/im

function lineMatching(text: string, re: RegExp): string {
  return (text.split('\n').find((l) => re.test(l)) ?? '').trim().slice(0, 300)
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 300) ?? ''
}

function missingTool(out: ToolOutput): Observed | undefined {
  const all = `${out.stdout}\n${out.stderr}`
  if (out.exitCode === 127 || out.exitCode === 126) return { observation: 'tool-missing', evidence: firstLine(all) }
  const line = lineMatching(all, MISSING)
  return line ? { observation: 'tool-missing', evidence: line } : undefined
}

/** errno text of a failed connect → observation. */
function connectFailure(line: string): Observation | undefined {
  if (REFUSED.test(line)) return 'refused'
  if (UNREACHABLE.test(line)) return 'unreachable'
  if (TIMED_OUT.test(line)) return 'timed-out'
  return undefined
}

/** busybox nc -vv -z: "<ip> (<ip>:<port>) open", or "nc: <ip> (<ip>:<port>): <errno text>", then "sent 0, rcvd 0". */
function observeNc(out: ToolOutput): Observed {
  const all = `${out.stdout}\n${out.stderr}`
  if (out.exitCode === 0) return { observation: 'connected', evidence: lineMatching(all, /\bopen\b/) || firstLine(all) }
  const bad = lineMatching(all, BAD_NAME)
  if (bad) return { observation: 'name-not-resolved', evidence: bad }
  // busybox's small nc (no -z) says "timed out" when its -w alarm fires
  const line = lineMatching(all, /^nc: /) || firstLine(all)
  const seen = connectFailure(line) ?? (/^nc: timed out$/m.test(all) ? 'timed-out' : undefined)
  if (seen) return { observation: seen, evidence: line }
  return missingTool(out) ?? { observation: 'not-understood', evidence: firstLine(all) }
}

/** busybox nslookup: any reply (NXDOMAIN, SERVFAIL too) means the server was reached. */
function observeDns(out: ToolOutput): Observed {
  const all = `${out.stdout}\n${out.stderr}`
  const answer = lineMatching(all, /^Name:|server can't find|Can't find .*: Parse error/)
  if (answer) return { observation: 'answered', evidence: answer }
  // an ICMP port-unreachable surfaces as a failed write or read on the connected UDP socket
  const refused = lineMatching(all, /^nslookup: (write to|read).*connection refused/i)
  if (refused) return { observation: 'refused', evidence: refused }
  const unreachable = lineMatching(all, UNREACHABLE)
  if (unreachable) return { observation: 'unreachable', evidence: unreachable }
  const none = lineMatching(all, /no servers could be reached/)
  if (none) return { observation: 'timed-out', evidence: none }
  // recorded under `timeout 2` (nslookup's own timeout was longer): killed silently
  if (KILLED.has(out.exitCode) && !all.trim()) return { observation: 'timed-out', evidence: `(killed by timeout, exit ${out.exitCode}, no output)` }
  if (out.exitCode === 0 && /^Server:/m.test(all)) return { observation: 'answered', evidence: firstLine(all) }
  return missingTool(out) ?? { observation: 'not-understood', evidence: firstLine(all) }
}

/** curl: exit code first; `-w %{http_code}:%{num_connects}` and `-v`'s "connect to … failed: <errno>" when present. */
function observeCurl(out: ToolOutput): Observed {
  const all = `${out.stdout}\n${out.stderr}`
  const written = /(\d{3})(?::(\d+))?\s*$/.exec(out.stdout.trim())
  const code = written?.[1]
  const connects = written?.[2] === undefined ? undefined : Number(written[2])
  const error = lineMatching(out.stderr, /^curl: \(\d+\)/)
  const verboseConnect = lineMatching(out.stderr, /connect to \S+ port \d+ (?:from \S+ port \d+ )?failed: /)
  switch (out.exitCode) {
    case 0:
      return { observation: 'connected', evidence: code ? `HTTP ${code}` : firstLine(all) }
    case 6:
      return { observation: 'name-not-resolved', evidence: error }
    case 7: {
      const seen = connectFailure(verboseConnect) ?? connectFailure(error)
      if (seen) return { observation: seen, evidence: verboseConnect || error }
      // curl ≥ 7.86 without -v: "Couldn't connect to server" / "Could not connect to server", errno not printed
      return { observation: 'refused', evidence: error, caveat: 'curl did not say why the connect failed (refused, or unreachable on the path); read as refused' }
    }
    case 28: {
      if (/resolving timed out/i.test(error)) return { observation: 'name-not-resolved', evidence: error }
      if (connects !== undefined) return { observation: connects > 0 ? 'connected' : 'timed-out', evidence: `${error} (num_connects ${connects})`.trim() }
      // without num_connects: the connect phase has its own wording; "Operation timed out … received" is later
      if (/operation timed out after \d+ milliseconds with/i.test(error)) return { observation: 'connected', evidence: error }
      return { observation: 'timed-out', evidence: error }
    }
    case 52: // empty reply
    case 56: // recv failure (reset after connect)
      return { observation: 'connected', evidence: error }
  }
  return missingTool(out) ?? { observation: 'not-understood', evidence: error || firstLine(all) }
}

/** busybox wget (recorded outputs): `-T` bounds connect and transfer, not the name lookup. */
function observeWget(out: ToolOutput): Observed {
  const all = `${out.stdout}\n${out.stderr}`
  if (out.exitCode === 0) return { observation: 'connected', evidence: 'downloaded' }
  const http = lineMatching(all, /server returned error: HTTP\/\S+ \d{3}/)
  if (http) return { observation: 'connected', evidence: http }
  const bad = lineMatching(all, BAD_NAME)
  if (bad) return { observation: 'name-not-resolved', evidence: bad }
  const connect = lineMatching(all, /can't connect to remote host/)
  const seen = connectFailure(connect)
  if (seen) return { observation: seen, evidence: connect }
  const response = lineMatching(all, /error getting response/)
  if (response) return { observation: 'connected', evidence: response }
  const late = lineMatching(all, /download timed out/)
  if (late) return { observation: 'timed-out', evidence: late, caveat: 'wget prints the same for a server that accepted and answered late' }
  // -T did not fire, the outer `timeout` did: wget was still resolving the name (musl and glibc both wait for DNS)
  if (KILLED.has(out.exitCode) && !all.trim()) return { observation: 'name-not-resolved', evidence: `(killed by timeout, exit ${out.exitCode}, no output: still resolving the name)` }
  return missingTool(out) ?? { observation: 'not-understood', evidence: firstLine(all) }
}

/** Reads one tool's output, before the context is applied. */
export function observe(out: ToolOutput): Observed {
  const missing = out.exitCode === 127 || out.exitCode === 126 ? missingTool(out) : undefined
  if (missing) return missing
  switch (out.tool) {
    case 'nc': return observeNc(out)
    case 'dns': return observeDns(out)
    case 'curl': return observeCurl(out)
    case 'wget': return observeWget(out)
  }
}

// ---- the verdict -------------------------------------------------------------------------------------------------

function result(reasonCode: Reason, evidence: string, detail: string): ProbeVerdict {
  return { verdict: VERDICT_OF[reasonCode], reason: reasonCode, evidence, detail }
}

/** Output + context → verdict, reason, evidence. One condition, one verdict: see the module comment. */
export function classifyProbe(out: ToolOutput, context: ProbeContext = DEFAULT_CONTEXT): ProbeVerdict {
  const seen = observe(out)
  const within = context.timeoutSeconds ? ` within ${context.timeoutSeconds} s` : ''
  const caveat = seen.caveat ? ` (${seen.caveat})` : ''
  const ev = seen.evidence
  switch (seen.observation) {
    case 'connected':
      return result('connected', ev, `connected: the packets got through${ev ? ` (${ev})` : ''}${caveat}`)
    case 'answered':
      return result('answered', ev, `the DNS server answered${ev ? ` (${ev})` : ''}`)
    case 'name-not-resolved':
      return result('name-not-resolved', ev, `the name did not resolve, so the connection was not tested${ev ? `: ${ev}` : ''}`)
    case 'tool-missing':
      return result('tool-missing', ev, `the probe tool is missing or lacks an option the probe needs: ${ev || '(no output)'}`)
    case 'not-understood':
      return result('not-understood', ev, `${out.tool} exit ${out.exitCode}, not understood: ${ev || '(no output)'}`)
    case 'refused':
    case 'timed-out':
    case 'unreachable':
      break
  }
  // refused, timed out or unreachable: what it means depends on what sits on the path
  if (!context.readyEndpoints) {
    return result('no-endpoints', ev, `the Service has no ready endpoints: kube-proxy rejects the connection, so policy was not tested (${ev || 'no answer'})`)
  }
  if (seen.observation === 'unreachable') {
    return result('rejected-on-path', ev, `unreachable, rejected on the path (routing or a REJECT outside policy), not an answer about policy: ${ev}`)
  }
  if (context.denyAction === 'Reject') {
    return result('rejected', ev, `denied: Felix's deny action is Reject — an ICMP port-unreachable, or no answer${within} when ICMP is rate-limited (${ev || 'no answer'})`)
  }
  if (seen.observation === 'refused') {
    return result('nothing-listening', ev, `refused by the target: the packets got through, nothing listens on the port (${ev})${caveat}`)
  }
  return result('dropped', ev, `no answer${within}: the packets were dropped${caveat}`)
}

/**
 * The waiting reasons a kubelet gives a container whose image it could not get: its image manager's
 * (pkg/kubelet/images/types.go: ErrImagePull, ImagePullBackOff, ImageInspectError, ErrImageNeverPull, InvalidImageName)
 * and the CRI's (k8s.io/cri-api/pkg/errors: RegistryUnavailable, SignatureValidationFailed).
 */
export const IMAGE_PULL_REASONS: readonly string[] = ['ErrImagePull', 'ImagePullBackOff', 'ImageInspectError', 'ErrImageNeverPull', 'InvalidImageName', 'RegistryUnavailable', 'SignatureValidationFailed']

const IMAGE_NOT_PULLED = new RegExp(`${IMAGE_PULL_REASONS.join('|')}|pull(ing)? image|image.*not (found|pulled)`, 'i')

/** A probe that did not run or did not finish (exec layer, debug container): an error, with its cause. */
export function failedProbe(message: string): ProbeVerdict {
  const m = message.trim().slice(0, 300)
  if (IMAGE_NOT_PULLED.test(m)) {
    return result('image-not-pulled', m, `the probe image could not be pulled: ${m}`)
  }
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(m)) {
    return result('tool-missing', m, `the probe tool is missing in the container: ${m}`)
  }
  return result('exec-failed', m, `the probe did not run: ${m || 'no exit status'}`)
}

// ---- context, from what the runner reads through the API ---------------------------------------------------------

/** The fields of a discovery.k8s.io/v1 EndpointSlice the count needs (client-node's V1EndpointSlice fits). */
export interface EndpointSliceLike {
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null
  endpoints?: Array<{ conditions?: { ready?: boolean | null; terminating?: boolean | null } | null }> | null
}

/**
 * Ready endpoints for one Service port (`portName`: the Service port's name, '' when unnamed), over the Service's
 * EndpointSlices (label kubernetes.io/service-name=<svc>). `ready` unset counts as ready, as the EndpointSlice API
 * says consumers should read an unknown state; terminating endpoints do not count (kube-proxy sends no new
 * connections to them while ready ones exist).
 */
export function readyEndpointCount(slices: readonly EndpointSliceLike[], portName = ''): number {
  let n = 0
  for (const slice of slices) {
    const ports = slice.ports ?? []
    if (ports.length > 0 && !ports.some((p) => (p.name ?? '') === portName)) continue
    for (const e of slice.endpoints ?? []) if (e.conditions?.ready !== false && e.conditions?.terminating !== true) n++
  }
  return n
}

/** The fields of a projectcalico.org/v3 FelixConfiguration spec that decide the deny action. */
export interface FelixConfigurationSpecLike {
  nftablesMode?: string
  iptablesFilterDenyAction?: string
  nftablesFilterDenyAction?: string
}

/**
 * Felix's deny action from the `default` FelixConfiguration (absent: Drop). Felix reads the nftables field when
 * nftablesMode is Enabled, else the iptables one; with Auto either may be in force, and Reject is assumed if either
 * says so (under Reject a refused probe is never read as allowed).
 */
export function denyActionOf(spec: FelixConfigurationSpecLike | undefined): ProbeContext['denyAction'] {
  const reject = (v: string | undefined) => v?.toLowerCase() === 'reject'
  const mode = spec?.nftablesMode?.toLowerCase()
  if (mode === 'enabled') return reject(spec?.nftablesFilterDenyAction) ? 'Reject' : 'Drop'
  if (mode === 'auto') return reject(spec?.nftablesFilterDenyAction) || reject(spec?.iptablesFilterDenyAction) ? 'Reject' : 'Drop'
  return reject(spec?.iptablesFilterDenyAction) ? 'Reject' : 'Drop'
}
