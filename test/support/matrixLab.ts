// The reachability matrix against the fake API server: the lab's policies as live objects, and an exec handler that
// answers probes the way the real lab does (busybox wget / nslookup output) — what the tests and the bench share.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { POLICY_STEPS } from '../../demo-server/src/catalog/policySteps.ts'
import type { PolicyStepId } from '../../demo-server/src/catalog/policySteps.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'
import type { ExecRequest, ExecScript } from '../fakeKube/server.ts'
import { intendedMatrixCells } from './leastPrivilege.ts'

export const REPO = REPO_ROOT

/** The policy resources of the given policy steps (all of them by default), as the fake API server holds them once applied. */
export function labPolicies(steps: readonly PolicyStepId[] = POLICY_STEPS.map((s) => s.id)): object[] {
  return readManifests(REPO_ROOT, POLICY_STEPS.filter((s) => steps.includes(s.id)).map((s) => s.file))
}

/** Cells the lab's least-privilege policies allow (row → column). */
export const INTENDED = new Set(intendedMatrixCells())

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

/**
 * A stand-in `docker` for the kind lab's outside clients, as the lab with every policy answers: host1 reaches the
 * LoadBalancer (HTTP 200), everything else times out as curl does (exit 28). Returns the folder to put first on PATH.
 */
export function standInDocker(timing: { allowedSeconds?: number; deniedSeconds?: number } = {}): string {
  const bin = join(mkdtempSync(join(tmpdir(), 'stand-in-docker-')), 'bin')
  mkdirSync(bin)
  const pause = (s: number | undefined) => (s ? `sleep ${s}; ` : '')
  writeFileSync(join(bin, 'docker'), [
    '#!/bin/sh',
    'container="$2"',
    'eval last=\\${$#}',
    'case "$container $last" in',
    `  "host1 http://${LAB.lbIp}:80/") ${pause(timing.allowedSeconds)}printf 200; exit 0 ;;`,
    `  *) ${pause(timing.deniedSeconds)}echo "curl: (28) Connection timed out after ${(timing.deniedSeconds ?? 1) * 1000} milliseconds" >&2; exit 28 ;;`,
    'esac',
    '',
  ].join('\n'))
  chmodSync(join(bin, 'docker'), 0o755)
  return bin
}
