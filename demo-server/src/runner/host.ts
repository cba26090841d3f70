// A host step: one fixed argv from the catalog, for the lab in use, started with no shell on the presenter's machine
// (outside clients are containers or VMs, not pods), its output streamed as it arrives.
import { runHostProgram } from '../host/programs.ts'
import type { HostAction, Lab } from '../catalog/types.ts'
import type { Outcome, Sink } from './outcome.ts'

export async function runHost(action: HostAction, lab: Lab, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const r = await runHostProgram(action.argv[lab], { signal, onStdout: sink.stdout, onStderr: sink.stderr })
  if (r.aborted) return { status: 'cancelled' }
  if (!r.started) return { status: 'failed', error: { kind: r.refusal === 'not-installed' ? 'not-found' : 'invalid', message: r.failure ?? 'the program did not start' } }
  if (r.exitCode === 0) return { status: 'succeeded', exitCode: 0 }
  if (r.exitCode === undefined) return { status: 'failed', error: { kind: 'exit-code', message: r.failure ?? 'no exit code' } }
  return { status: 'failed', exitCode: r.exitCode, error: { kind: 'exit-code', message: `command exited with code ${r.exitCode}` } }
}
