// The debug container's PID 1, run for real as PID 1 of a new PID namespace (what a container runtime gives it), with
// Debian's busybox: an orphan left in the namespace (what busybox `timeout` leaves behind, an exec'd command's
// daemonized child) is reaped, and SIGTERM (a pod deletion, a rollout restart) ends it at once. `sleep` as PID 1 — the
// command it replaces — is run the same way as the control: it keeps the orphan as a zombie and ignores SIGTERM.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEBUG_INIT } from '../../demo-server/src/matrix/debugContainer.ts'

function which(tool: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

const BUSYBOX = which('busybox')
const UNSHARE = which('unshare')
const NSENTER = which('nsenter')

function requireTools(): void {
  const missing = [
    BUSYBOX ? '' : 'busybox (apt-get install busybox)',
    UNSHARE && NSENTER ? '' : 'unshare and nsenter (apt-get install util-linux)',
    process.getuid?.() === 0 ? '' : 'root (a new PID namespace needs CAP_SYS_ADMIN)',
  ].filter(Boolean)
  assert.deepEqual(missing, [], `the PID 1 test needs: ${missing.join('; ')}`)
}

/** Processes whose PID namespace is `ns`: host pid, name, state letter. */
function processesIn(ns: string): Array<{ pid: number; name: string; state: string }> {
  const out: Array<{ pid: number; name: string; state: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      out.push({ pid: Number(entry), name: /^Name:\s*(.*)$/m.exec(status)?.[1] ?? '?', state: /^State:\s*(\S)/m.exec(status)?.[1] ?? '?' })
    } catch {
      // it ended meanwhile
    }
  }
  return out
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface Pid1 {
  /** its host pid */
  pid: number
  ns: string
  unshare: ChildProcess
}

/** `argv` as PID 1 of a new PID namespace (with its own /proc). */
async function asPid1(argv: readonly string[]): Promise<Pid1> {
  const unshare = spawn(UNSHARE!, ['--pid', '--fork', '--mount-proc', BUSYBOX!, ...argv], { stdio: 'ignore' })
  const until = Date.now() + 5000
  while (Date.now() < until) {
    const child = readdirSync('/proc').find((e) => /^\d+$/.test(e) && (() => {
      try {
        return readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(unshare.pid)
      } catch {
        return false
      }
    })())
    if (child) return { pid: Number(child), ns: readlinkSync(`/proc/${child}/ns/pid`), unshare }
    await sleep(20)
  }
  unshare.kill('SIGKILL')
  throw new Error(`${argv.join(' ')} did not start as PID 1 within 5 s`)
}

/** Leaves an orphan in the namespace: a shell that starts `sleep 0.3` in the background and exits at once. */
function orphan(p: Pid1): void {
  execFileSync(NSENTER!, ['-t', String(p.pid), '-p', '-m', BUSYBOX!, 'sh', '-c', 'sleep 0.3 & exit 0'])
}

/** SIGTERM to PID 1; how long until it ended (undefined: still running after `withinMs`). */
async function terminate(p: Pid1, withinMs: number): Promise<number | undefined> {
  const started = Date.now()
  process.kill(p.pid, 'SIGTERM')
  while (Date.now() - started < withinMs) {
    if (!alive(p.pid) || processesIn(p.ns).find((x) => x.pid === p.pid)?.state === 'Z') return Date.now() - started
    await sleep(20)
  }
  return undefined
}

/** Kills whatever is left of the namespace (on failure too). */
function cleanUp(p: Pid1 | undefined): void {
  if (!p) return
  for (const x of processesIn(p.ns)) {
    try {
      process.kill(x.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  p.unshare.kill('SIGKILL')
}

test('the debug container’s PID 1 reaps orphans and ends at once on SIGTERM; `sleep` as PID 1 does neither', async (t) => {
  requireTools()
  let init: Pid1 | undefined
  let control: Pid1 | undefined
  try {
    init = await asPid1(DEBUG_INIT)
    control = await asPid1(['sleep', '3600'])
    orphan(init)
    orphan(control)
    await sleep(1000) // the orphans' sleep 0.3 ended long ago
    const zombies = (p: Pid1) => processesIn(p.ns).filter((x) => x.state === 'Z').map((x) => x.name)
    assert.deepEqual(zombies(init), [], 'the shell reaped the orphan')
    assert.deepEqual(zombies(control), ['sleep'], 'the control: `sleep` as PID 1 keeps it as a zombie (the test can see one)')

    const initEnded = await terminate(init, 2000)
    assert.ok(initEnded !== undefined, 'SIGTERM ends the shell')
    const controlEnded = await terminate(control, 1000)
    assert.equal(controlEnded, undefined, 'the control ignores SIGTERM (PID 1 has no default handler): a pod deletion would wait out its grace period')
    t.diagnostic(`the debug container's PID 1 ended ${initEnded} ms after SIGTERM`)
  } finally {
    cleanUp(init)
    cleanUp(control)
  }
})
