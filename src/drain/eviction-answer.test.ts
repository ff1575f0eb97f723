import { describe, expect, it } from 'vitest';
import type { KubeCore } from '../kube/client.ts';
import {
  budgetsSelecting,
  classifyEvictionRefusal,
  heldByPdb,
  pdbsSelecting,
  selectorMatches,
} from './eviction-answer.ts';

/** An Eviction API answer as kube-apiserver sends it: a Status body (and headers). */
const answer = (
  code: number,
  message: string,
  extra: { reason?: string; causes?: { reason: string; message: string }[]; retryAfter?: string } = {},
) => ({
  code,
  body: JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message,
    reason: extra.reason,
    details: extra.causes ? { causes: extra.causes } : undefined,
    code,
  }),
  headers: extra.retryAfter ? { 'retry-after': extra.retryAfter } : {},
});

describe('classifyEvictionRefusal: what each Eviction API answer means', () => {
  // pkg/registry/core/pod/storage/eviction.go, the admission chain and API Priority and Fairness.
  const table: [string, unknown, ReturnType<typeof classifyEvictionRefusal>][] = [
    [
      '429 refused by a PDB (cause DisruptionBudget)',
      answer(429, "Cannot evict pod as it would violate the pod's disruption budget.", {
        reason: 'TooManyRequests',
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web needs 2 healthy pods and has 2 currently',
          },
        ],
      }),
      'pdb',
    ],
    [
      '429 while the PDB is still being processed',
      answer(429, "Cannot evict pod as it would violate the pod's disruption budget.", {
        reason: 'TooManyRequests',
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web is still being processed by the server.',
          },
        ],
      }),
      'pdb',
    ],
    [
      '429 from API Priority and Fairness, Retry-After',
      answer(429, 'Too many requests, please try again later.', {
        reason: 'TooManyRequests',
        retryAfter: '1',
      }),
      'throttled',
    ],
    [
      '500 for a pod selected by two PDBs',
      answer(
        500,
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        {
          reason: 'InternalError',
        },
      ),
      'multiple-pdbs',
    ],
    [
      '500 anything else',
      answer(500, 'etcdserver: request timed out', { reason: 'InternalError' }),
      'transient',
    ],
    ['503', answer(503, 'service unavailable'), 'transient'],
    [
      'no answer (ECONNRESET)',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'transient',
    ],
    [
      '409 UID precondition failed',
      answer(409, 'Precondition failed: UID in precondition: uid-1, UID in object meta: uid-2', {
        reason: 'Conflict',
      }),
      'changed',
    ],
    [
      '409 resourceVersion precondition failed',
      answer(409, 'Operation cannot be fulfilled on pods "web-1": the object has been modified', {
        reason: 'Conflict',
      }),
      'changed',
    ],
    ['404 pod gone', answer(404, 'pods "web-1" not found', { reason: 'NotFound' }), 'gone'],
    [
      '403 namespace being terminated',
      answer(
        403,
        'pods "web-1" is forbidden: unable to create new content in namespace apps because it is being terminated',
        { reason: 'Forbidden' },
      ),
      'namespace-terminating',
    ],
    [
      '403 admission webhook',
      answer(403, 'admission webhook "deny.example.com" denied the request: evictions frozen', {
        reason: 'Forbidden',
      }),
      'forbidden',
    ],
    [
      '403 RBAC',
      answer(403, 'pods "web-1" is forbidden: User "x" cannot create resource "pods/eviction"'),
      'forbidden',
    ],
    ['401', answer(401, 'Unauthorized'), 'forbidden'],
    [
      '422 invalid eviction',
      answer(422, 'Eviction.policy "web-1" is invalid', { reason: 'Invalid' }),
      'invalid',
    ],
    ['400 bad request', answer(400, 'name in URL does not match name in Eviction object'), 'invalid'],
  ];

  it.each(table)('%s', (_label, error, expected) => {
    expect(classifyEvictionRefusal(error)).toBe(expected);
  });

  it('only PDB refusals hold a pod (force-delete applies to them)', () => {
    expect(
      table.filter(([, error]) => heldByPdb(classifyEvictionRefusal(error))).map(([label]) => label),
    ).toEqual([
      '429 refused by a PDB (cause DisruptionBudget)',
      '429 while the PDB is still being processed',
      '500 for a pod selected by two PDBs',
    ]);
  });
});

describe('pdbsSelecting', () => {
  const pod = { namespace: 'apps', pod: { metadata: { labels: { app: 'web', tier: 'frontend' } } } };
  const budgets = [
    { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } } } },
    {
      metadata: { name: 'frontend-tier' },
      spec: { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }] } },
    },
    { metadata: { name: 'other' }, spec: { selector: { matchLabels: { app: 'other' } } } },
    { metadata: { name: 'no-selector' }, spec: {} },
  ];

  it('names the budgets of the namespace that select the pod', async () => {
    const core = {
      listNamespacedPodDisruptionBudget: async () => ({ items: budgets }),
    } as unknown as KubeCore;
    await expect(pdbsSelecting(core, pod)).resolves.toEqual(['apps/frontend-tier', 'apps/web']);
  });

  it('keeps to the pod own namespace when given budgets of several', () => {
    const labelled = { metadata: { namespace: 'apps', labels: { app: 'web' } } };
    const web = (namespace: string) => ({
      metadata: { name: 'web', namespace },
      spec: { selector: { matchLabels: { app: 'web' } } },
    });
    const found = budgetsSelecting([web('apps'), web('other'), web('apps-2')], labelled);
    expect(found.map((budget) => budget.metadata?.namespace)).toEqual(['apps']);
  });

  it('gives undefined when they cannot be listed', async () => {
    const core = {
      listNamespacedPodDisruptionBudget: async () => Promise.reject({ code: 403, body: '', headers: {} }),
    } as unknown as KubeCore;
    await expect(pdbsSelecting(core, pod)).resolves.toBeUndefined();
  });

  it('matches label selectors as policy/v1 does', () => {
    const labels = { app: 'web' };
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches(undefined, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels),
    ).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels)).toBe(true);
  });
});
