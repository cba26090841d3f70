// The reachability matrix against the fake API server: the lab's policies as live objects, and an exec handler that
// answers probes the way the real lab does (busybox wget / nslookup output) — what the tests and the bench share.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { ExecRequest, ExecScript } from '../fakeKube/server.ts'

export const REPO = join(import.meta.dirname, '..', '..')

/** The policy resources of manifests/5*-policy-*.yaml, as the fake API server should hold them after every step. */
export function labPolicies(files = ['50-policy-default-deny', '51-policy-productpage', '52-policy-details', '53-policy-reviews', '54-policy-ratings', '55-policy-outside-range']): object[] {
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(REPO, 'manifests', `${f}.yaml`), 'utf8')).map((d) => d.toJS() as object).filter(Boolean))
}

/** Flows the lab's least-privilege policies allow on 9080 (source row → target service). */
export const INTENDED = new Set(['productpage→details', 'productpage→reviews', 'reviews-v2→ratings', 'reviews-v3→ratings'])

/** Which matrix row an exec comes from (pod name prefix, or the alpine's namespace). */
export function rowOf(req: ExecRequest): string {
  if (req.pod === 'alpine') return `alpine-${req.namespace}`
  return /^(productpage|details|ratings|reviews-v[123])-/.exec(req.pod)?.[1] ?? req.pod
}

/** Which matrix column a probe command aims at ("dns" for nslookup). */
export function colOf(req: ExecRequest): string {
  if (req.command.includes('nslookup')) return 'dns'
  const url = req.command.find((a) => a.startsWith('http://')) ?? ''
  return /^http:\/\/([a-z0-9-]+)\./.exec(url)?.[1] ?? '?'
}

export const allowedScript = (delayMs = 10): ExecScript => ({ steps: [{ delayMs }], exitCode: 0 })
/** busybox wget when the SYN is dropped: waits out -T, then says so. */
export const timedOutScript = (delayMs: number): ExecScript => ({ steps: [{ delayMs }, { stderr: 'wget: download timed out\n' }], exitCode: 1 })
export const dnsAnswerScript = (delayMs = 10): ExecScript => ({
  steps: [{ delayMs }, { stdout: 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n' }],
  exitCode: 0,
})

/**
 * Answers as the lab with every policy applied would: the intended flows connect, DNS answers, everything else
 * times out after `deniedMs` (the probe's timeout). `override` may answer a cell differently (return undefined to
 * keep the default).
 */
export function labExecHandler(options: { deniedMs: number; allowedMs?: number; override?: (row: string, col: string, req: ExecRequest) => ExecScript | undefined; policies?: boolean }) {
  return (req: ExecRequest): ExecScript => {
    const row = rowOf(req)
    const col = colOf(req)
    const custom = options.override?.(row, col, req)
    if (custom) return custom
    if (col === 'dns') return dnsAnswerScript(options.allowedMs)
    const allowed = options.policies === false || INTENDED.has(`${row}→${col}`)
    return allowed ? allowedScript(options.allowedMs) : timedOutScript(options.deniedMs)
  }
}
