// Programs on the presenter's machine, the one way every caller starts them (host steps, the matrix's outside
// clients, the preflight's checks): the outside clients are containers (kind) or a VM (multipass), which the
// Kubernetes API cannot reach. Only HOST_PROGRAMS may start, with no shell, so nothing is ever interpreted; a cancel or
// the time limit kills the process.
import { spawn } from 'node:child_process'
import { StringDecoder } from 'node:string_decoder'

/** Which lab the demo server talks to: the kind rehearsal or the VMs (chooses a host step's argv). */
export type Lab = 'kind' | 'vms'

/** Programs a host step may start; anything else is refused before it runs. */
export const HOST_PROGRAMS = ['docker', 'multipass'] as const
export type HostProgram = (typeof HOST_PROGRAMS)[number]
export type HostArgv = readonly [HostProgram, ...string[]]

/** An argv as one would type it in a POSIX shell (single quotes where needed). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ')
}

export interface ProgramResult {
  /** false: the program never started (`refusal` says why) */
  started: boolean
  refusal?: 'not-allowed' | 'not-installed'
  /** undefined when it was killed or never started */
  exitCode: number | undefined
  stdout: string
  stderr: string
  /** why there is no exit code */
  failure?: string
  /** the caller's signal ended it */
  aborted: boolean
  ms: number
}

export interface ProgramOptions {
  signal: AbortSignal
  /** kill it after this long */
  timeoutMs?: number
  /** streamed as it arrives (the collected text is capped, the stream is not) */
  onStdout?: (text: string) => void
  onStderr?: (text: string) => void
}

/** Output kept per stream in the result. */
const MAX_COLLECTED = 64 * 1024

export function runHostProgram(argv: readonly string[], options: ProgramOptions): Promise<ProgramResult> {
  const started = performance.now()
  const [program = '', ...args] = argv
  const base = { stdout: '', stderr: '', aborted: false }
  if (!(HOST_PROGRAMS as readonly string[]).includes(program)) {
    return Promise.resolve({ ...base, started: false, refusal: 'not-allowed', exitCode: undefined, failure: `${program || '(nothing)'} is not an allowed host program (${HOST_PROGRAMS.join(', ')})`, ms: 0 })
  }
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)
  const signal = timeout ? AbortSignal.any([options.signal, timeout]) : options.signal
  return new Promise((resolve) => {
    const out = { text: '', decoder: new StringDecoder('utf8') }
    const err = { text: '', decoder: new StringDecoder('utf8') }
    const collect = (into: typeof out, forward: ((text: string) => void) | undefined) => (buffer: Buffer) => {
      const text = into.decoder.write(buffer)
      if (into.text.length < MAX_COLLECTED) into.text += text
      if (text) forward?.(text)
    }
    const child = spawn(program, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL', windowsHide: true })
    child.stdout.on('data', collect(out, options.onStdout))
    child.stderr.on('data', collect(err, options.onStderr))
    let failure: string | undefined
    let neverStarted = false
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        neverStarted = true
        failure = `${program} is not installed on this machine (the outside clients are reached through it)`
      } else if (error.name !== 'AbortError') failure = error.message
    })
    child.on('close', (code, killedBy) => {
      for (const [stream, forward] of [[out, options.onStdout], [err, options.onStderr]] as const) {
        const rest = stream.decoder.end()
        stream.text += rest
        if (rest) forward?.(rest)
      }
      const aborted = options.signal.aborted
      if (!failure && timeout?.aborted && !aborted) failure = `no exit within ${(options.timeoutMs ?? 0) / 1000} s (killed)`
      if (!failure && aborted) failure = 'cancelled'
      if (!failure && code === null) failure = `killed by ${killedBy}`
      resolve({
        started: !neverStarted,
        ...(neverStarted ? { refusal: 'not-installed' as const } : {}),
        exitCode: failure ? undefined : (code ?? undefined),
        stdout: out.text.slice(0, MAX_COLLECTED),
        stderr: err.text.slice(0, MAX_COLLECTED),
        ...(failure ? { failure } : {}),
        aborted,
        ms: performance.now() - started,
      })
    })
  })
}
