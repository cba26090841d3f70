// The foundation's sample steps: enough to prove the pipeline end to end.
import { z } from 'zod'
import type { Action } from './types.ts'


export const foundationActions: Action[] = [
  {
    id: 'preflight',
    title: 'Preflight: is the lab ready for the demo?',
    kind: 'preflight',
    kubectl: 'npm run demo:check',
    namespaces: [],
    timeoutMs: 45_000,
  },
  {
    id: 'rollout-events',
    title: 'A fresh rollout, as the API server reports it',
    kind: 'rollout',
    namespace: 'dev1',
    deployment: 'details-v1',
    namespaces: ['dev1'],
    kubectl: 'kubectl rollout restart deployment/details-v1 -n dev1 && kubectl get events -n dev1 --watch-only',
    timeoutMs: 120_000,
  },
  {
    id: 'nodes-wide',
    title: 'The nodes of the lab',
    kind: 'table',
    resource: 'nodes',
    wide: true,
    namespaces: [],
    kubectl: 'kubectl get nodes -o wide',
    timeoutMs: 10_000,
  },
  {
    id: 'dev1-pods',
    title: 'Pods in dev1',
    kind: 'table',
    resource: 'pods',
    namespace: 'dev1',
    wide: true,
    namespaces: ['dev1'],
    kubectl: 'kubectl get pods -n dev1 -o wide',
    timeoutMs: 10_000,
  },
  {
    id: 'curl-service',
    title: 'ratings → a bookinfo service (parameterised)',
    kind: 'exec',
    namespace: 'dev1',
    selector: 'app=ratings',
    container: 'ratings',
    params: z.strictObject({ service: z.enum(['productpage', 'details', 'reviews', 'ratings']) }),
    command: (p) => ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}\\n', '--max-time', '5', `http://${String(p.service)}:9080/`],
    namespaces: ['dev1'],
    kubectl: (p) => `kubectl exec -n dev1 deploy/ratings-v1 -c ratings -- curl -sS -o /dev/null -w '%{http_code}\\n' --max-time 5 http://${String(p.service)}:9080/`,
    timeoutMs: 15_000,
  },
]
