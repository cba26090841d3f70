// A demo server for the integration tests: against the fake API server (the lab follows the context's name, as in
// `npm start`), a fresh run store of its own, only the actions the test names.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import type { Action, ExecAction } from '../../demo-server/src/catalog/types.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { startDemoServer } from '../../demo-server/src/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import type { FakeKube } from '../fakeKube/server.ts'

export function demoServerOnFake(
  fake: FakeKube,
  options: { token: string; origin: string; actions: Action[]; context?: string; repoRoot?: string; healthIntervalMs?: number },
): Promise<DemoServer> {
  const context = options.context ?? 'fake-lab'
  return startDemoServer({
    access: { kubeConfig: fake.kubeConfig(context), context, server: fake.url, problem: null },
    token: options.token,
    allowedOrigins: [options.origin],
    repoRoot: options.repoRoot ?? REPO_ROOT,
    storeDir: join(mkdtempSync(join(tmpdir(), 'demo-server-runs-')), '.runs'),
    actions: options.actions,
    ...(options.healthIntervalMs ? { healthIntervalMs: options.healthIntervalMs } : {}),
  })
}

/** A step that takes a parameter (the shipped catalog has none): the deck may only pick one of the schema's values. */
export const curlService: ExecAction<{ service: string }> = {
  id: 'curl-service',
  title: 'ratings → a bookinfo service',
  kind: 'exec',
  namespace: 'dev1',
  target: { deployment: 'ratings-v1' },
  container: 'ratings',
  params: z.strictObject({ service: z.enum(['productpage', 'details', 'reviews', 'ratings']) }),
  command: (p) => ['curl', '-sS', '-o', '/dev/null', '--max-time', '5', `http://${p.service}:9080/`],
  namespaces: ['dev1'],
  timeoutMs: 15_000,
}
