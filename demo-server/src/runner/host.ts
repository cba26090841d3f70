// A host action: one fixed argv from the catalog, started with no shell on the presenter's machine (outside
// clients are containers or VMs, not pods). Only HOST_PROGRAMS may start; cancel kills the process.
import { spawn } from 'node:child_process'
import { StringDecoder } from 'node:string_decoder'
import { HOST_PROGRAMS } from '../catalog/types.ts'
import type { HostAction, Lab } from '../catalog/types.ts'
import type { Outcome, Sink } from './outcome.ts'
import { runHostCommand } from './hostCommand.ts'

export function runHost(action: HostAction, lab: Lab, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  return runAllowedProgram(action.argv[lab], sink, signal)
}

/** The output and exit code of an allow-listed argv (the preflight's outside-client checks), bounded in time. */
export async function collectAllowedProgram(argv: readonly string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runHostCommand(argv, { timeoutMs, signal: new AbortController().signal })
  return { code: r.exitCode ?? 127, stdout: r.stdout, stderr: r.stderr || (r.failure ?? '') }
}

/** Starts argv[0] — only if it is one of HOST_PROGRAMS — with no shell; cancel kills it. */
export function runAllowedProgram(argv: readonly string[], sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const [program = '', ...args] = argv
  if (!(HOST_PROGRAMS as readonly string[]).includes(program)) {
    return Promise.resolve({ status: 'failed', error: { kind: 'invalid', message: `${program} is not an allowed host program` } })
  }
  return new Promise<Outcome>((resolve) => {
    const child = spawn(program, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'] })
    const out = new StringDecoder('utf8')
    const err = new StringDecoder('utf8')
    child.stdout.on('data', (b: Buffer) => sink.stdout(out.write(b)))
    child.stderr.on('data', (b: Buffer) => sink.stderr(err.write(b)))
    const onAbort = () => child.kill('SIGTERM')
    signal.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort)
      const message = error.code === 'ENOENT' ? `${program} is not installed on this machine (the outside clients are reached through it)` : error.message
      resolve({ status: 'failed', error: { kind: 'not-found', message } })
    })
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort)
      sink.stdout(out.end())
      sink.stderr(err.end())
      if (signal.aborted) return resolve({ status: 'cancelled' })
      if (code === 0) return resolve({ status: 'succeeded', exitCode: 0 })
      if (code === null) return resolve({ status: 'failed', error: { kind: 'exit-code', message: `killed by ${killedBy}` } })
      resolve({ status: 'failed', exitCode: code, error: { kind: 'exit-code', message: `command exited with code ${code}` } })
    })
  })
}
