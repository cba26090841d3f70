// The browser tests' kind lab with Calico's own account: a Slidev deck, the fake API server holding the lab's objects,
// a fake whisker pod behind a real port-forward, the demo server between them on the kind rehearsal's context (so its
// host steps and outside clients go through the stand-in `docker` put first on PATH), and Chromium. What started is
// stopped in reverse order, the run store's folder removed and PATH restored, by close() — or at once when a later
// part fails to start.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import type { Action } from '../../demo-server/src/catalog/types.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { startFakeKube } from '../fakeKube/server.ts'
import type { ExecRequest, ExecScript, FakeKube } from '../fakeKube/server.ts'
import { attachWhisker } from './flowLab.ts'
import type { WhiskerLab } from './flowLab.ts'
import { demoServerFor, freePort, launchBrowser, startDeck } from './deck.ts'
import type { RunningDeck } from './deck.ts'

export interface FlowLabDeck {
  deck: RunningDeck
  fake: FakeKube
  lab: WhiskerLab
  server: DemoServer
  browser: Browser
  close(): Promise<void>
}

export interface FlowLabDeckOptions {
  /** names the token and the run store's folder */
  name: string
  /** what the fake API server holds at start */
  objects: object[]
  /** a folder holding the stand-in `docker` */
  dockerBin: string
  actions: Action[]
  entry?: string
  /** the pods' answer to each exec, given the running fake and whisker (to add the flow records a probe leaves) */
  exec(lab: { fake: FakeKube; lab: WhiskerLab }): (req: ExecRequest) => ExecScript
}

export async function startFlowLabDeck(options: FlowLabDeckOptions): Promise<FlowLabDeck> {
  const savedPath = process.env.PATH
  const closers: Array<() => Promise<void> | void> = [() => { process.env.PATH = savedPath }]
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer()
  }
  try {
    process.env.PATH = `${options.dockerBin}:${savedPath}` // the demo server runs in this process
    const deck = await startDeck({ token: `${options.name}-browser-token-0123456789`, demoPort: await freePort(), entry: options.entry ?? 'slides.md' })
    closers.push(() => deck.stop())
    const fake = await startFakeKube({ objects: options.objects })
    closers.push(() => fake.close())
    const lab = await attachWhisker(fake)
    closers.push(() => lab.close())
    fake.onExec(options.exec({ fake, lab }))
    const storeDir = mkdtempSync(join(tmpdir(), `${options.name}-browser-`))
    closers.push(() => rmSync(storeDir, { recursive: true, force: true }))
    const server = await demoServerFor(deck, {
      access: { kubeConfig: fake.kubeConfig('kind-calico-lab'), context: 'kind-calico-lab', server: fake.url, problem: null },
      storeDir,
      actions: options.actions,
    })
    closers.push(() => server.close())
    const browser = await launchBrowser()
    closers.push(() => browser.close())
    return { deck, fake, lab, server, browser, close }
  } catch (error) {
    await close()
    throw error
  }
}
