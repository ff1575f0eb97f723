import { expect, it } from 'vitest';

it('passes but leaves a rejection nobody handles', async () => {
  void Promise.reject(new Error('fixture: unhandled rejection'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(1).toBe(1);
});
