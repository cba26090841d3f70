// Run store: per action, the latest run and the last one that succeeded — state, ordered output, timings.
// Persisted as one JSON file per action in a git-ignored folder, so a restart, a replay and an export see it.
// A recording (a rehearsal's runs in the same format, kept where a presenter may commit them) is read beside it, and
// the newer run wins: `preferNewer` is the one rule between the two. The store is the single source of truth the hub
// fans out; it never runs anything itself.
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { MAX_RUN_OUTPUT_BYTES, run as runSchema } from './protocol.ts'
import type { Chunk, FailureKind, Run, RunStatus } from './protocol.ts'
import type { Params } from './catalog/types.ts'

const persisted = z.strictObject({ latest: runSchema.nullable(), lastSucceeded: runSchema.nullable() })
export type Entry = z.infer<typeof persisted>

export type RunEvent =
  | { type: 'started'; run: Run }
  | { type: 'chunk'; run: Run; chunk: Chunk }
  | { type: 'ended'; run: Run }

export interface RunStoreOptions {
  /** folder for the JSON files; omitted → memory only */
  dir?: string
  /** folders of recorded runs in the same format, read at start and never written (e.g. rehearsal/recording) */
  recordings?: string[]
  maxOutputBytes?: number
  now?: () => number
}

const startedMs = (r: Run | null | undefined): number => (r ? Date.parse(r.startedAt) || 0 : -Infinity)

/**
 * The precedence between two stored histories of one action (the run folder's and a recording's): the run that started
 * last is the latest, whichever folder holds it; the last success is the newest success of either. So a rehearsal
 * recorded yesterday gives way to the talk's live runs today, and older runs of a development cluster give way to the
 * rehearsal. A tie keeps `a`.
 */
export function preferNewer(a: Entry, b: Entry): Entry {
  const latest = startedMs(b.latest) > startedMs(a.latest) ? b.latest : a.latest
  const successes = [a.latest, a.lastSucceeded, b.latest, b.lastSucceeded].filter((r): r is Run => r?.status === 'succeeded')
  const lastSucceeded = successes.reduce<Run | null>((best, r) => (startedMs(r) > startedMs(best) ? r : best), null)
  return { latest, lastSucceeded }
}

export const TRUNCATION_NOTICE = (limit: number) =>
  `\n… output truncated: this run produced more than ${Math.round(limit / 1024 / 1024)} MB; the rest was dropped …\n`

export class RunStore {
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<(action: string, event: RunEvent) => void>()
  private readonly startedMs = new Map<string, number>()
  private readonly dir: string | undefined
  private readonly maxOutputBytes: number
  private readonly now: () => number

  constructor(options: RunStoreOptions = {}) {
    this.dir = options.dir
    this.maxOutputBytes = options.maxOutputBytes ?? MAX_RUN_OUTPUT_BYTES
    this.now = options.now ?? Date.now
    if (this.dir) mkdirSync(this.dir, { recursive: true })
    for (const dir of [...(this.dir ? [this.dir] : []), ...(options.recordings ?? [])]) this.load(dir)
  }

  /**
   * Runs found on disk are replays: they were not executed by this process. A run cut off by a restart is failed.
   * When two folders hold the same action, `preferNewer` decides.
   */
  private load(dir: string): void {
    let files: string[]
    try {
      files = readdirSync(dir)
    } catch (error) {
      // a recording that is not there is no recording: say so once, start without it
      console.warn(`[run store] no runs read from ${dir}: ${(error as Error).message}`)
      return
    }
    for (const file of files) {
      if (!file.endsWith('.json')) continue
      try {
        const entry = persisted.parse(JSON.parse(readFileSync(join(dir, file), 'utf8')))
        const mark = (r: Run | null): Run | null => {
          if (!r) return r
          const recorded: Run = { ...r, origin: 'recorded' }
          if (recorded.status === 'running') {
            recorded.status = 'failed'
            recorded.error = { kind: 'stream-dropped', message: 'the demo server stopped while this run was in progress' }
            recorded.endedAt = recorded.endedAt ?? recorded.startedAt
          }
          return recorded
        }
        const latest = mark(entry.latest)
        if (!latest) continue
        const loaded = { latest, lastSucceeded: mark(entry.lastSucceeded) }
        const known = this.entries.get(latest.action)
        this.entries.set(latest.action, known ? preferNewer(known, loaded) : loaded)
      } catch (error) {
        // A corrupt file must not stop the talk: skip it, say so once.
        console.warn(`[run store] ignoring ${file}: ${(error as Error).message}`)
      }
    }
  }

  subscribe(listener: (action: string, event: RunEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(action: string, event: RunEvent): void {
    for (const listener of this.listeners) listener(action, event)
  }

  get(action: string): { run: Run | null; lastSucceeded: Run | null } {
    const entry = this.entries.get(action)
    if (!entry) return { run: null, lastSucceeded: null }
    const lastSucceeded = entry.latest?.status === 'succeeded' ? null : entry.lastSucceeded
    return { run: entry.latest, lastSucceeded }
  }

  isRunning(action: string): boolean {
    return this.entries.get(action)?.latest?.status === 'running'
  }

  /** Starts a new run. Callers must check `isRunning` first: the store refuses a second concurrent run. */
  start(action: string, params: Params, context?: string, command?: string): Run {
    if (this.isRunning(action)) throw new Error(`action ${action} is already running`)
    const now = this.now()
    const run: Run = {
      id: randomUUID(),
      action,
      params,
      status: 'running',
      startedAt: new Date(now).toISOString(),
      chunks: [],
      bytes: 0,
      truncated: false,
      origin: 'live',
      ...(context ? { context } : {}),
      ...(command ? { command } : {}),
    }
    const previous = this.entries.get(action)
    const lastSucceeded = previous?.latest?.status === 'succeeded' ? previous.latest : (previous?.lastSucceeded ?? null)
    this.entries.set(action, { latest: run, lastSucceeded })
    this.startedMs.set(run.id, now)
    this.emit(action, { type: 'started', run })
    return run
  }

  /** Appends output; past the byte limit, one visible marker and nothing more. Returns false once truncated. */
  append(run: Run, stream: Chunk['stream'], data: string): boolean {
    if (run.status !== 'running' || data.length === 0) return !run.truncated
    if (run.truncated) return false
    const size = Buffer.byteLength(data)
    if (run.bytes + size > this.maxOutputBytes) {
      const room = this.maxOutputBytes - run.bytes
      if (room > 0) this.push(run, stream, Buffer.from(data).subarray(0, room).toString('utf8').replace(/\uFFFD+$/, ''))
      run.truncated = true
      this.push(run, 'info', TRUNCATION_NOTICE(this.maxOutputBytes))
      return false
    }
    this.push(run, stream, data)
    return true
  }

  private push(run: Run, stream: Chunk['stream'], data: string): void {
    const chunk: Chunk = {
      seq: run.chunks.length,
      stream,
      data,
      at: Math.max(0, this.now() - (this.startedMs.get(run.id) ?? this.now())),
    }
    run.chunks.push(chunk)
    if (stream !== 'info') run.bytes += Buffer.byteLength(data)
    this.emit(run.action, { type: 'chunk', run, chunk })
  }

  finish(
    run: Run,
    status: Exclude<RunStatus, 'idle' | 'running'>,
    detail: { exitCode?: number; error?: { kind: FailureKind; message: string } } = {},
  ): void {
    if (run.status !== 'running') return // first ending wins (e.g. cancel racing the exit status)
    run.status = status
    run.endedAt = new Date(this.now()).toISOString()
    if (detail.exitCode !== undefined) run.exitCode = detail.exitCode
    if (detail.error) run.error = detail.error
    this.startedMs.delete(run.id)
    const entry = this.entries.get(run.action)
    if (entry && status === 'succeeded' && entry.latest?.id === run.id) entry.lastSucceeded = null
    this.persist(run.action)
    this.emit(run.action, { type: 'ended', run })
  }

  private persist(action: string): void {
    if (!this.dir) return
    const entry = this.entries.get(action)
    if (!entry) return
    const file = join(this.dir, `${action}.json`)
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(entry))
    renameSync(tmp, file) // atomic: a reader never sees half a file
  }

  actions(): string[] {
    return [...this.entries.keys()]
  }
}
