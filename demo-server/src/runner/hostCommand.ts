// Probes from the outside clients: containers on the kind network (`docker exec host1 …`) or the VM (`multipass exec
// host1 -- …`), which the Kubernetes API cannot reach. Each probe is one argv: the catalog's fixed prefix for the lab
// (an allow-listed program) + a curl command the server builds from catalog values only (addresses, ports, whole
// seconds) — never anything the deck sent. Started with execFile: no shell, so nothing is ever interpreted.
import { execFile } from 'node:child_process'
import { HOST_PROGRAMS, shellLine } from '../catalog/types.ts'
import type { CapturedExec } from '../probe/podExec.ts'
import type { Lab, MatrixSource, MatrixTarget } from '../catalog/types.ts'

/** Same shape as a captured pod exec: `started` false when the program could not start (not installed, not allowed). */
export type HostResult = CapturedExec

/** Values the server puts into an argv: addresses, ports, numbers. Anything else is a bug, refused. */
const SAFE_VALUE = /^[A-Za-z0-9.:/_%{}-]+$/

/** `curl` aimed at `target` from an outside client: the LoadBalancer address when it has one, else a backend pod IP. */
export function outsideProbeArgv(source: MatrixSource, lab: Lab, url: string, timeoutSeconds: number): string[] {
  const outside = source.outside
  if (!outside) throw new Error(`${source.id} is not an outside client`)
  const curl = [
    'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}',
    '--connect-timeout', String(timeoutSeconds), '--max-time', String(timeoutSeconds + 1),
    ...(outside.curlArgs?.[lab] ?? []),
    url,
  ]
  for (const value of curl) if (!SAFE_VALUE.test(value)) throw new Error(`refusing to put ${JSON.stringify(value)} into a host command`)
  return [...outside.argv[lab], ...curl]
}

export function outsideUrl(target: MatrixTarget, podIp: string | undefined): string | undefined {
  if (target.external) return `http://${target.external.ip}:${target.external.port}/`
  return podIp ? `http://${podIp}:${target.port}/` : undefined
}

/** The command as one would type it (for the slide's hover text). */
export { shellLine }

/** Runs an allow-listed argv with execFile (no shell); kills it after `timeoutMs` or on abort. */
export function runHostCommand(argv: readonly string[], options: { timeoutMs: number; signal: AbortSignal }): Promise<HostResult> {
  const started = performance.now()
  const [program, ...args] = argv
  if (!program || !(HOST_PROGRAMS as readonly string[]).includes(program)) {
    return Promise.resolve({ started: false, exitCode: undefined, stdout: '', stderr: '', failure: `${program ?? '(nothing)'} is not an allowed host program (${HOST_PROGRAMS.join(', ')})`, ms: 0 })
  }
  return new Promise<HostResult>((resolve) => {
    execFile(
      program,
      args,
      { shell: false, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, signal: options.signal, windowsHide: true },
      (error, stdout, stderr) => {
        const ms = performance.now() - started
        if (!error) return resolve({ started: true, exitCode: 0, stdout, stderr, ms })
        const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string }
        if (e.code === 'ENOENT') {
          return resolve({ started: false, exitCode: undefined, stdout, stderr, failure: `${program} is not installed on this machine: the outside client cannot be reached`, ms })
        }
        if (e.name === 'AbortError') return resolve({ started: true, exitCode: undefined, stdout, stderr, failure: 'cancelled', ms })
        if (e.killed || e.signal) return resolve({ started: true, exitCode: undefined, stdout, stderr, failure: `no exit within ${options.timeoutMs / 1000} s (killed)`, ms })
        if (typeof e.code === 'number') return resolve({ started: true, exitCode: e.code, stdout, stderr, ms })
        resolve({ started: false, exitCode: undefined, stdout, stderr, failure: e.message, ms })
      },
    )
  })
}
