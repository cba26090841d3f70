// The reachability matrix against the fake API server: the lab's policies as live objects, and an exec handler that
// answers probes the way the real lab does (what busybox nc / nslookup and curl printed in test/netns/probes.test.ts,
// test/fixtures/probe-netns-outputs.json) — what the tests and the bench share.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { POLICY_STEPS, POLICY_TIERS_FILE } from '../../demo-server/src/catalog/policySteps.ts'
import type { PolicyStepId } from '../../demo-server/src/catalog/policySteps.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { matrixActions } from '../../demo-server/src/catalog/matrices.ts'
import { offlineExpectation } from '../../demo-server/src/matrix/offline.ts'
import { readMatrix } from '../../demo-server/src/matrix/reachability.ts'
import type { ExecRequest, ExecScript, FakeKube, KubeObject } from '../fakeKube/server.ts'
import { intendedDnsRows, intendedMatrixCells } from './leastPrivilege.ts'
import { serviceAt } from './labServices.ts'

export const REPO = REPO_ROOT

/** The policy resources of the given policy steps (all of them by default), as the fake API server holds them once applied. */
export function labPolicies(steps: readonly PolicyStepId[] = POLICY_STEPS.map((s) => s.id)): object[] {
  // the tiers come with the lab: a policy naming a tier that does not exist is refused
  return readManifests(REPO_ROOT, [POLICY_TIERS_FILE, ...POLICY_STEPS.filter((s) => steps.includes(s.id)).map((s) => s.file)])
}

/** Cells the lab's least-privilege policies allow (row → column). */
export const INTENDED = new Set(intendedMatrixCells())
/** Rows that reach kube-dns with every policy applied. */
export const DNS_ROWS = new Set(intendedDnsRows())

/** Which matrix row an exec comes from (pod name prefix, or the alpine's namespace). */
export function rowOf(req: ExecRequest): string {
  if (req.pod === 'alpine') return `alpine-${req.namespace}`
  return /^(productpage|details|ratings|reviews-v[123])-/.exec(req.pod)?.[1] ?? req.pod
}

/** Which matrix column a probe command aims at: "dns" for nslookup, else the Service whose ClusterIP nc was given. */
export function colOf(req: ExecRequest): string {
  if (req.command[0] === 'nslookup') return 'dns'
  return serviceAt(req.command.at(-2) ?? '') ?? '?'
}

/** The address and port (or DNS server) a probe aims at, from its argv. */
const aimOf = (req: ExecRequest): { ip: string; port: string } =>
  req.command[0] === 'nslookup' ? { ip: req.command.at(-1) ?? '', port: '53' } : { ip: req.command.at(-2) ?? '', port: req.command.at(-1) ?? '' }

/** What the probe prints when the connection is made (nc: open; nslookup: an answer), after `delayMs`. */
export function allowedScript(req: ExecRequest, delayMs = 10): ExecScript {
  const { ip, port } = aimOf(req)
  if (req.command[0] === 'nslookup') {
    return { steps: [{ delayMs }, { stdout: `Server:\t\t${ip}\nAddress:\t${ip}:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 198.19.32.1\n\nNon-authoritative answer:\n\n` }], exitCode: 0 }
  }
  return { steps: [{ delayMs }, { stderr: `${ip} (${ip}:${port}) open\nsent 0, rcvd 0\n` }], exitCode: 0 }
}

/** What the probe prints when its packets are dropped: it waits out its timeout (`delayMs`), then says so. */
export function droppedScript(req: ExecRequest, delayMs: number): ExecScript {
  const { ip, port } = aimOf(req)
  if (req.command[0] === 'nslookup') return { steps: [{ delayMs }, { stdout: ';; connection timed out; no servers could be reached\n\n' }], exitCode: 1 }
  return { steps: [{ delayMs }, { stderr: `nc: ${ip} (${ip}:${port}): Connection timed out\nsent 0, rcvd 0\n` }], exitCode: 1 }
}

/** An ICMP port-unreachable or the target's RST: "Connection refused" at once (nslookup: its write fails). */
export function refusedScript(req: ExecRequest, delayMs = 10): ExecScript {
  const { ip, port } = aimOf(req)
  if (req.command[0] === 'nslookup') return { steps: [{ delayMs }, { stdout: ';; connection timed out; no servers could be reached\n\n' }, { stderr: `nslookup: write to '${ip}': Connection refused\n` }], exitCode: 1 }
  return { steps: [{ delayMs }, { stderr: `nc: ${ip} (${ip}:${port}): Connection refused\nsent 0, rcvd 0\n` }], exitCode: 1 }
}

/**
 * Answers as the lab with every policy applied would: the intended flows connect, DNS answers the rows that may
 * resolve names, everything else times out after `deniedMs` (the probe's timeout). `override` may answer a cell differently (return undefined to
 * keep the default).
 */
export function labExecHandler(options: { deniedMs: number; allowedMs?: number; override?: (row: string, col: string, req: ExecRequest) => ExecScript | undefined; policies?: boolean }) {
  return (req: ExecRequest): ExecScript => {
    const row = rowOf(req)
    const col = colOf(req)
    const custom = options.override?.(row, col, req)
    if (custom) return custom
    const allowed = options.policies === false || (col === 'dns' ? DNS_ROWS.has(row) : INTENDED.has(`${row}→${col}`))
    return allowed ? allowedScript(req, options.allowedMs) : droppedScript(req, options.deniedMs)
  }
}

/** Cells ("row→column") the engine allows with the first `steps` policy steps applied (computed from manifests/ once). */
const allowedAtMoment = new Map<number, Set<string>>()
function allowedCells(steps: number): Set<string> {
  let cells = allowedAtMoment.get(steps)
  if (!cells) {
    const action = matrixActions.find((m) => m.policyStepsApplied === steps)!
    const p = readMatrix(offlineExpectation(action, REPO_ROOT)).reachability!
    cells = new Set([...p.cells.values()].filter((c) => ['allowed', 'mixed'].includes(c.opinions.expected?.verdict ?? '')).map((c) => `${c.from}→${c.to}`))
    allowedAtMoment.set(steps, cells)
  }
  return cells
}

/**
 * How many policy steps, in order, the fake API server holds (the demo moment it is at). A policy is held by kind and
 * name: the staged default deny shares its name with the enforced one, and must not count as it. A staged policy
 * changes no probe's verdict, so a staged step never holds the count back: the moment after it answers as the one
 * before it.
 */
export function stepsApplied(fake: FakeKube): number {
  const held = new Set((fake.objects() as KubeObject[]).filter((o) => o.apiVersion === 'projectcalico.org/v3').map((o) => `${String(o.kind)} ${o.metadata.name}`))
  const isHeld = POLICY_STEPS.map((step) => readManifests(REPO_ROOT, [step.file]).every((o) => o.kind.startsWith('Staged') || held.has(`${o.kind} ${o.metadata.name}`)))
  const first = isHeld.indexOf(false)
  return first === -1 ? isHeld.length : first
}

/**
 * Answers as the policy steps the fake API server holds say (the engine on manifests/ at that demo moment): allowed
 * cells connect, the rest time out after `deniedMs`.
 */
export function momentExecHandler(fake: FakeKube, options: { deniedMs: number; allowedMs?: number }) {
  return (req: ExecRequest): ExecScript =>
    allowedCells(stepsApplied(fake)).has(`${rowOf(req)}→${colOf(req)}`) ? allowedScript(req, options.allowedMs) : droppedScript(req, options.deniedMs)
}

/**
 * A stand-in `docker` for the kind lab's outside clients, as the lab with every policy answers: host1 reaches the
 * LoadBalancer (curl -v … -w '%{http_code}:%{num_connects}' prints 200:1), everything else is dropped (curl waits out
 * its connect timeout: exit 28, 000:0), in curl 7.88's words; `lbAllowed: false` drops host1's too. Returns the
 * folder to put first on PATH.
 */
export function standInDocker(timing: { allowedSeconds?: number; deniedSeconds?: number; lbAllowed?: boolean } = {}): string {
  const bin = join(mkdtempSync(join(tmpdir(), 'stand-in-docker-')), 'bin')
  mkdirSync(bin)
  const pause = (s: number | undefined) => (s ? `sleep ${s}; ` : '')
  const deniedMs = (timing.deniedSeconds ?? 1) * 1000 + 2
  writeFileSync(join(bin, 'docker'), [
    '#!/bin/sh',
    'container="$2"',
    'eval last=\\${$#}',
    'hostport="${last#http://}"; hostport="${hostport%/}"',
    'case "$container $last" in',
    `  "${timing.lbAllowed === false ? 'nobody' : 'host1'} http://${LAB.lbIp}:80/") ${pause(timing.allowedSeconds)}printf '*   Trying %s...\\n* Connected to %s port %s (#0)\\n< HTTP/1.1 200 OK\\n' "$hostport" "\${hostport%:*}" "\${hostport#*:}" >&2; printf 200:1; exit 0 ;;`,
    `  *) ${pause(timing.deniedSeconds)}printf '*   Trying %s...\\n* Connection timed out after ${deniedMs} milliseconds\\n* Closing connection 0\\ncurl: (28) Connection timed out after ${deniedMs} milliseconds\\n' "$hostport" >&2; printf 000:0; exit 28 ;;`,
    'esac',
    '',
  ].join('\n'))
  chmodSync(join(bin, 'docker'), 0o755)
  return bin
}
