// The ways a probe is made, one ProbeRunner each:
//   - pod exec: in the pod's own container (the alpine pods: busybox nc / nslookup are there);
//   - debug container: in an ephemeral busybox container added to the pod (the bookinfo images carry no reliable
//     client; debugContainer.ts: same network namespace, same IP, same Calico endpoint, so the same policies apply);
//   - outside host: curl on an outside client through an allow-listed host program (docker / multipass);
//   - and a row whose pod is not there, whose every probe says so.
import type { KubeConfig } from '@kubernetes/client-node'
import type { Lab } from '../host/programs.ts'
import { runHostProgram, shellLine } from '../host/programs.ts'
import { execInPod } from '../kube/exec.ts'
import { ensureDebugContainer } from './debugContainer.ts'
import type { DebugReady } from './debugContainer.ts'
import { notProbed, observation, outsideProbeCommand, outsideProbeContext, outsideUrl, podProbeCommand, podProbeContext, podProbeLine, probeFailed } from './probe.ts'
import type { Observation, ProbeJob, ProbeRunner } from './probe.ts'
import { classifyProbe } from './verdict.ts'

/**
 * How long the exec layer may take beyond the probe's own timeout before the probe counts as hung (an error). Every
 * tool bounds itself at the timeout (verdict.ts), so only a stuck exec ever reaches this.
 */
export const EXEC_GRACE_MS = 8000
/** How long an ephemeral container may take to start (image pull on a fresh node). */
export const DEBUG_WAIT_MS = 60_000
/** Output kept per probe; a probe prints a line or two, anything beyond is noise. */
const MAX_CAPTURE = 8 * 1024

const rawOf = (r: { stdout: string; stderr: string; failure?: string }): string => [r.stdout, r.stderr, r.failure ?? ''].filter((x) => x.trim()).join('\n')
const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 200) ?? ''

export interface PodRef {
  namespace: string
  name: string
}

/** The cell's command before any container is chosen (for a cell that never ran). */
function podCommandLine(pod: PodRef, job: ProbeJob, container?: string): string {
  const aimed = podProbeCommand(job.target, job.facts, job.timeoutSeconds)
  return 'argv' in aimed ? podProbeLine(pod.namespace, pod.name, container, aimed.argv) : ''
}

/** Runs a probe in `container` of the pod and classifies what it printed. */
async function probeInContainer(kc: KubeConfig, pod: PodRef, container: string, job: ProbeJob, signal: AbortSignal): Promise<Observation> {
  const aimed = podProbeCommand(job.target, job.facts, job.timeoutSeconds)
  if ('problem' in aimed) return notProbed('no-service', aimed.problem)
  const { tool, argv } = aimed
  const command = podProbeLine(pod.namespace, pod.name, container, argv)
  let stdout = ''
  let stderr = ''
  const keep = (into: string, text: string) => (into.length < MAX_CAPTURE ? (into + text).slice(0, MAX_CAPTURE) : into)
  const started = performance.now()
  const { end } = await execInPod(kc, { namespace: pod.namespace, pod: pod.name, container, command: argv }, {
    signal,
    stdout: (t) => (stdout = keep(stdout, t)),
    stderr: (t) => (stderr = keep(stderr, t)),
    deadlineMs: job.timeoutSeconds * 1000 + EXEC_GRACE_MS,
  })
  const ms = performance.now() - started
  let exitCode: number | undefined
  let failure: string | undefined
  switch (end.kind) {
    case 'exited': exitCode = end.exitCode; break
    // the kubelet could not start the binary: the tool is missing, like a shell's 127
    case 'refused': if (end.notFound) exitCode = 127; failure = end.message; break
    case 'dropped': failure = 'the exec stream closed before the command reported its exit status'; break
    case 'unavailable': failure = end.error.message; break
    case 'deadline': failure = `no exit status within ${end.ms / 1000} s (the exec itself hung)`; break
    case 'aborted': failure = 'cancelled'; break
  }
  const raw = rawOf({ stdout, stderr, failure })
  if (exitCode === undefined) return probeFailed(failure ?? 'no exit status', command, raw, ms)
  const v = classifyProbe({ tool, exitCode, stdout, stderr: failure ? `${stderr}\n${failure}` : stderr }, podProbeContext(job))
  return observation(v, command, raw, ms)
}

/** In the pod's own container. */
export function podExecRunner(kc: KubeConfig, pod: PodRef, container: string): ProbeRunner {
  return { run: (job, signal) => probeInContainer(kc, pod, container, job, signal) }
}

/** In an ephemeral debug container, added (or found) once for all of this row's probes. */
export function debugContainerRunner(kc: KubeConfig, pod: PodRef, ready: Promise<DebugReady>): ProbeRunner {
  return {
    ready,
    async run(job, signal) {
      const debug = await ready
      if (!debug.ok) return probeFailed(debug.message, podCommandLine(pod, job))
      return probeInContainer(kc, pod, debug.container, job, signal)
    },
  }
}

/** Adds the debug container (or finds a running one) for `pod`, once; info lines say what happens. */
export function prepareDebugContainer(kc: KubeConfig, pod: Parameters<typeof ensureDebugContainer>[1], image: string, signal: AbortSignal, info: (line: string) => void): Promise<DebugReady> {
  return ensureDebugContainer(kc, pod, { image, waitMs: DEBUG_WAIT_MS, signal, info })
}

/** A row whose pod is not there: every probe is an error that says so. */
export function missingPodRunner(reason: string): ProbeRunner {
  return { run: async (job) => notProbed('no-pod', reason, podCommandLine({ namespace: job.source.pod?.namespace ?? '?', name: '?' }, job)) }
}

/**
 * docker / multipass failing before curl ran (no daemon, no such container, VM stopped): their own messages, and an
 * exit code curl does not use for a network outcome.
 */
function hostFailed(exitCode: number, stderr: string): boolean {
  if (/Cannot connect to the Docker daemon|Error response from daemon|No such container|is not running|does not exist|multipass/i.test(stderr)) return true
  return exitCode === 1 && !/^curl:/m.test(stderr)
}

/** On an outside client: the LoadBalancer address, or (for targets without one) `backendIps`' pod address. */
export function outsideHostRunner(lab: Lab, backendIps: ReadonlyMap<string, string>): ProbeRunner {
  return {
    async run(job, signal) {
      const { source, target, timeoutSeconds } = job
      // a target without an external address is reached at a backend pod's address (host1 learns pod routes over BGP)
      const url = outsideUrl(target, target.external ? undefined : backendIps.get(target.id))
      if (!url) return notProbed('no-pod', `no pod behind ${target.service}.${target.namespace} to aim at`)
      const { tool, argv } = outsideProbeCommand(source, lab, url, timeoutSeconds)
      const r = await runHostProgram(argv, { signal, timeoutMs: timeoutSeconds * 1000 + EXEC_GRACE_MS })
      const command = shellLine(argv)
      const raw = rawOf(r)
      if (!r.started) return probeFailed(r.failure ?? 'the host command did not start', command, raw, r.ms)
      if (r.exitCode === undefined) return probeFailed(`the probe did not finish: ${r.failure ?? 'no exit status'}`, command, raw, r.ms)
      if (hostFailed(r.exitCode, r.stderr)) return probeFailed(`the outside client could not be reached: ${firstLine(r.stderr)}`, command, raw, r.ms)
      const v = classifyProbe({ tool, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }, outsideProbeContext(job))
      return observation(v, command, raw, r.ms)
    },
  }
}
