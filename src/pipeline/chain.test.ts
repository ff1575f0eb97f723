import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { INTERRUPTIONS_ANNOTATION, markPatch } from '../drain/marks.ts';
import type { Interruption } from '../events/interruption.ts';
import { shouldNotify } from '../notify/notifier.ts';
import { drainReport } from '../notify/report.fixture.ts';
import { chainStanding } from './chain.ts';
import { CONTINUATION_TYPE, parseContinuation, serializeContinuation } from './continuation.ts';

const interruption: Interruption = {
  cloud: 'aws',
  kind: 'lifecycle-terminate',
  eventId: 'evt-1',
  machine: { cloud: 'aws', instanceId: 'i-0a1b2c3d4e5f60718' },
  action: 'drain',
  deadline: new Date('2030-01-01T11:00:00Z'),
  eventTime: new Date('2030-01-01T10:00:00Z'),
  details: { lifecycleHookName: 'spot-drainer-terminate' },
};

const NOW = Date.parse('2030-01-01T10:05:00Z');

function nodeWith(record: Record<string, unknown> | undefined): V1Node {
  return {
    metadata: {
      name: 'n1',
      annotations: record
        ? { [INTERRUPTIONS_ANNOTATION]: JSON.stringify({ [interruption.kind]: record }) }
        : {},
    },
    spec: { unschedulable: true, taints: [] },
  };
}

const record = (chain?: string, until?: string) => ({
  eventId: 'evt-1',
  action: 'drain',
  receivedAt: '2030-01-01T10:00:01Z',
  ...(chain ? { chain, chainUntil: until } : {}),
});

describe('chainStanding: who holds the event on the node', () => {
  it.each([
    ['no record of the event', 'unrecorded', undefined],
    ['a record of another event', 'unrecorded', { ...record(), eventId: 'evt-0' }],
    ['this chain', 'own', record('chain-a', '2030-01-01T10:06:00Z')],
    ['another chain whose lease runs', 'held', record('chain-b', '2030-01-01T10:06:00Z')],
    ['another chain whose lease ran out (it died)', 'free', record('chain-b', '2030-01-01T10:04:59Z')],
    ['marks written without a chain', 'free', record()],
  ])('%s → %s', (_name, status, recorded) => {
    expect(chainStanding(nodeWith(recorded), interruption, 'chain-a', NOW).status).toBe(status);
  });
});

describe('the chain in the marks', () => {
  const chain = { id: 'chain-a', until: new Date('2030-01-01T10:06:00Z') };
  const recordAfter = (node: V1Node) => {
    const patch = markPatch(node, interruption, {
      excludeFromLoadBalancers: false,
      now: new Date(NOW),
      chain,
    });
    const write = patch?.find((op) => op.op !== 'test' && op.path.startsWith('/metadata/annotations'));
    if (!write || !('value' in write)) return undefined;
    // The annotation itself, or (no annotations yet) the whole map holding it.
    const value =
      typeof write.value === 'string'
        ? write.value
        : (write.value as Record<string, string>)[INTERRUPTIONS_ANNOTATION];
    return JSON.parse(value ?? '{}')[interruption.kind];
  };

  it('is recorded with the first marking of the event, in the same patch', () => {
    expect(recordAfter({ metadata: { name: 'n1' }, spec: {} })).toMatchObject({
      eventId: 'evt-1',
      chain: 'chain-a',
      chainUntil: '2030-01-01T10:06:00.000Z',
    });
  });

  it("is never replaced by a later delivery's marks: the record keeps its own chain", () => {
    const node = nodeWith(record('chain-b', '2030-01-01T10:04:00Z'));
    node.spec = { unschedulable: false, taints: [] };
    expect(recordAfter(node)).toMatchObject({ chain: 'chain-b', chainUntil: '2030-01-01T10:04:00Z' });
  });
});

describe('continuation messages', () => {
  const message = {
    type: CONTINUATION_TYPE as typeof CONTINUATION_TYPE,
    version: 1 as const,
    chain: { id: 'chain-a', invocation: 2, startedAt: new Date(NOW), markedByChain: true },
    interruption,
  };

  it('read back to the message that was sent, dates included', () => {
    expect(parseContinuation(serializeContinuation(message))).toEqual({ ok: true, message });
  });

  it.each([
    ['not JSON', '{'],
    ['a foreign message', JSON.stringify({ hello: 'world' })],
    [
      'a first invocation (continuations start at 2)',
      JSON.stringify({ ...message, chain: { ...message.chain, invocation: 1 } }),
    ],
    [
      'an unreadable deadline',
      JSON.stringify({ ...message, interruption: { ...interruption, deadline: 'soon' } }),
    ],
  ])('refuse %s with a reason', (_name, body) => {
    const parsed = parseContinuation(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).not.toBe('');
  });
});

describe('notifications of a chain', () => {
  it('go out once, for the report that ends the chain, when the chain wrote the marks', () => {
    const chain = { id: 'c', invocations: 4, startedAt: '2030-01-01T10:00:00Z', totalMs: 180_000 };
    // The last invocation did not write the marks (the first did): the chain notifies all the same.
    expect(
      shouldNotify(drainReport({ markedByThisInvocation: false, chain: { ...chain, markedByChain: true } })),
    ).toBe(true);
    // A chain that took over a drain another delivery had marked and reported does not notify again.
    expect(
      shouldNotify(drainReport({ markedByThisInvocation: false, chain: { ...chain, markedByChain: false } })),
    ).toBe(false);
    expect(
      shouldNotify(
        drainReport({ markedByThisInvocation: true, dryRun: true, chain: { ...chain, markedByChain: true } }),
      ),
    ).toBe(false);
  });
});
