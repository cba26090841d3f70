// A host action: one fixed argv from the catalog, started with no shell on the presenter's machine (outside
// clients are containers or VMs, not pods). Only HOST_PROGRAMS may start; cancel kills the process.
import { spawn } from 'node:child_process'
import { StringDecoder } from 'node:string_decoder'
import { HOST_PROGRAMS } from '../catalog/types.ts'
import type { HostAction, Lab } from '../catalog/types.ts'
import type { Outcome, Sink } from './outcome.ts'

export function runHost(action: HostAction, lab: Lab, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const [program, ...args] = action.argv[lab]
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
      const message = error.code === 'ENOENT' ? `${program} is not installed on this machine (needed for ${lab === 'kind' ? 'the kind rehearsal' : 'the VM lab'})` : error.message
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
