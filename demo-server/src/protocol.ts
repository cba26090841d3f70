// Every message that crosses the WebSocket between the deck and the demo server, as zod schemas.
// Both sides import this file: the server validates what it receives, the deck validates what it receives.
import { z } from 'zod'

/** Largest WebSocket frame the server accepts from a browser (bytes). */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024
/** Output kept per run before a visible "truncated" marker; later output is dropped. */
export const MAX_RUN_OUTPUT_BYTES = 2 * 1024 * 1024

export const actionId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'action ids are lower-case words joined by "-"')
export const paramValue = z.union([z.string().max(200), z.number().finite(), z.boolean()])
export const params = z.record(z.string().max(64), paramValue)

// ---- deck → server -------------------------------------------------------------------------
export const subscribeMessage = z.strictObject({ type: z.literal('subscribe'), action: actionId })
export const runMessage = z.strictObject({
  type: z.literal('run'),
  action: actionId,
  params: params.optional(),
})
export const cancelMessage = z.strictObject({ type: z.literal('cancel'), action: actionId })
export const clientMessage = z.discriminatedUnion('type', [subscribeMessage, runMessage, cancelMessage])
export type ClientMessage = z.infer<typeof clientMessage>

// ---- run state -----------------------------------------------------------------------------
export const runStatus = z.enum(['idle', 'running', 'succeeded', 'failed', 'cancelled'])
export type RunStatus = z.infer<typeof runStatus>
/** `info` lines are written by the demo server itself (e.g. the truncation marker), never by the cluster. */
export const stream = z.enum(['stdout', 'stderr', 'info'])
export const chunk = z.strictObject({
  seq: z.number().int().nonnegative(),
  stream,
  data: z.string(),
  /** ms since the run started */
  at: z.number().nonnegative(),
})
export type Chunk = z.infer<typeof chunk>

/** Why a run failed, so the deck can tell a broken cluster from a command that exited non-zero. */
export const failureKind = z.enum([
  'exit-code', // the command ran and returned non-zero
  'timeout', // the action's timeout elapsed
  'unreachable', // API server could not be reached (connection refused, DNS, TLS)
  'forbidden', // 401/403 from the API server
  'not-found', // no pod matched the selector, or a resource is missing
  'api-error', // any other API server error (5xx, 4xx)
  'stream-dropped', // the exec stream closed without a status
  'no-cluster', // no kubeconfig / no context
  'invalid', // refused before running (bad parameters, namespace not allowed)
])
export type FailureKind = z.infer<typeof failureKind>

export const run = z.strictObject({
  id: z.string(),
  action: actionId,
  params: params,
  status: runStatus,
  startedAt: z.string(), // ISO time
  endedAt: z.string().optional(),
  exitCode: z.number().int().optional(),
  error: z.strictObject({ kind: failureKind, message: z.string() }).optional(),
  chunks: z.array(chunk),
  bytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
  /** `live`: executed by this demo server process; `recorded`: loaded from the persisted store (a replay). */
  origin: z.enum(['live', 'recorded']),
  /** kube context the run executed against */
  context: z.string().optional(),
  /** the command line shown for this run (the kubectl equivalent, or a host action's own command) as it ran */
  command: z.string().optional(),
})
export type Run = z.infer<typeof run>

// ---- cluster health ------------------------------------------------------------------------
export const clusterHealth = z.strictObject({
  /** `live`: API server answered; `offline`: no kubeconfig or unreachable (replays only) */
  mode: z.enum(['live', 'offline']),
  context: z.string().nullable(),
  server: z.string().nullable(),
  version: z.string().nullable(),
  reachable: z.boolean(),
  message: z.string(),
  checkedAt: z.string(),
})
export type ClusterHealth = z.infer<typeof clusterHealth>

// ---- server → deck -------------------------------------------------------------------------
export const stateMessage = z.strictObject({
  type: z.literal('state'),
  action: actionId,
  /** the latest run with every buffered chunk (null: never run) */
  run: run.nullable(),
  /** the last run that succeeded, when the latest one did not */
  lastSucceeded: run.nullable(),
})
export const chunkMessage = z.strictObject({
  type: z.literal('chunk'),
  action: actionId,
  runId: z.string(),
  chunk,
})
export const exitMessage = z.strictObject({
  type: z.literal('exit'),
  action: actionId,
  runId: z.string(),
  status: runStatus,
  endedAt: z.string(),
  exitCode: z.number().int().optional(),
  error: z.strictObject({ kind: failureKind, message: z.string() }).optional(),
  truncated: z.boolean(),
})
export const errorMessage = z.strictObject({
  type: z.literal('error'),
  code: z.enum(['bad-message', 'unknown-action', 'invalid-params', 'not-allowed', 'internal']),
  message: z.string(),
  action: z.string().optional(),
})
export const clusterMessage = z.strictObject({ type: z.literal('cluster'), health: clusterHealth })
/** sent once after connecting: the actions the catalog offers, with what the slide shows for each */
export const catalogMessage = z.strictObject({
  type: z.literal('catalog'),
  actions: z.array(
    z.strictObject({
      id: actionId,
      title: z.string(),
      kind: z.string(),
      /** the command the slide shows: built from the action's own fields (a parameter not chosen yet is <name>) */
      shownCommand: z.string(),
      /**
       * what the slide draws before (or without) any run, computed offline and labelled so by the component that
       * reads it: for a probe matrix, its expectation from manifests/ as matrix lines
       */
      preview: z.string().max(1024 * 1024).optional(),
    }),
  ),
})
export const serverMessage = z.discriminatedUnion('type', [
  stateMessage,
  chunkMessage,
  exitMessage,
  errorMessage,
  clusterMessage,
  catalogMessage,
])
export type ServerMessage = z.infer<typeof serverMessage>
export type StateMessage = z.infer<typeof stateMessage>
export type ChunkMessage = z.infer<typeof chunkMessage>
export type ExitMessage = z.infer<typeof exitMessage>
