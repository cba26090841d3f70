// `npm start` as a presenter uses it: it names the deck URL and the kube context, serves the deck, and one
// Ctrl-C (SIGINT) stops the deck and the demo server together.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeKube } from '../fakeKube/server.ts'
import { freePort, repoRoot } from '../../demo-server/src/launch.ts'

test('npm start prints the deck URL and the context, and one SIGINT stops both servers', async () => {
  const fake = await startFakeKube()
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'start-')), 'config')
  fake.writeKubeconfig(kubeconfig, 'kind-calico-lab')
  const port = await freePort()
  const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'start.ts'), '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  try {
    const deadline = Date.now() + 60_000
    while (!/public slide show/.test(out) || !/^deck\s+http/m.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    // the deck first; the demo server loads once the deck answers, so as not to slow the deck's own start
    assert.ok(out.indexOf('public slide show') < out.indexOf('demo server  '), `Slidev's banner comes before the demo server's lines:\n${out}`)
    assert.match(out, new RegExp(`deck\\s+http://localhost:${port}/`))
    assert.match(out, /kube context kind-calico-lab → http:\/\/127\.0\.0\.1:\d+/)
    assert.match(out, /cluster\s+live: kind-calico-lab \(v1\.34\.1\)/)
    assert.match(out, /^order\s+slides\.md: the demo, then the presentation$/m, 'the default order is the assessment’s')
    const demoUrl = /demo server\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
    assert.ok(demoUrl)
    assert.equal((await fetch(`http://localhost:${port}/`)).status, 200)
    assert.equal((await fetch(`${demoUrl}/health`)).status, 401, 'the demo server answers (and wants its token)')

    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    assert.equal(code, 0)
    await assert.rejects(fetch(`http://localhost:${port}/`), 'the deck is gone')
    await assert.rejects(fetch(`${demoUrl}/health`), 'the demo server is gone')
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    await fake.close()
  }
})

test('npm start refuses an unknown option, names it and the usage, and starts nothing', () => {
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'start.ts'), '--prot', '3031'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 })
  assert.equal(run.status, 2)
  assert.equal(run.stderr, 'npm start: unknown option --prot\nusage: npm start -- [--port 3030] [--context NAME] [--talk-first] [--recording DIR | --no-recording]\n')
  assert.equal(run.stdout, '', 'no demo server, no Slidev')
})

test('npm start refuses a port that is not a port, a stray argument, a recording that is not there', () => {
  for (const [args, message] of [
    [['--port', '30x0'], /--port must be a port number \(1–65535\), not "30x0"/],
    [['--port', '70000'], /--port must be a port number/],
    [['3031'], /unexpected argument "3031"/],
    [['--context'], /--context <value>' argument missing/],
    [['--recording', join(repoRoot, 'no-such-recording')], /no recording at .*no-such-recording \(npm run demo:rehearse writes one to rehearsal\/recording\/\)/],
    [['--recording', repoRoot, '--no-recording'], /--recording and --no-recording contradict each other/],
  ] as const) {
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'start.ts'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 })
    assert.equal(run.status, 2, args.join(' '))
    assert.match(run.stderr, message)
    assert.equal(run.stdout, '')
  }
})

test('the demo server alone refuses an unknown option too', () => {
  const run = spawnSync(process.execPath, [join(repoRoot, 'demo-server', 'src', 'main.ts'), '--deck-prot', '3030'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 })
  assert.equal(run.status, 2)
  assert.match(run.stderr, /^npm run demo-server: unknown option --deck-prot\nusage: npm run demo-server -- /)
})
