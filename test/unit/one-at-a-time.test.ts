import { describe, expect, it } from 'vitest';
import { oneAtATime, type SqlRunner } from '../../src/db/client.ts';

describe('oneAtATime', () => {
  it('starts each statement after the previous one settled, in call order, past a failure', async () => {
    let inFlight = 0;
    let most = 0;
    const started: string[] = [];
    const connection: SqlRunner = async (text) => {
      started.push(text);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      if (text === 'bad') throw new Error('syntax error');
      return [{ text }] as never;
    };
    const run = oneAtATime(connection);
    const results = await Promise.allSettled([run('a'), run('bad'), run('c')]);
    expect(most).toBe(1);
    expect(started).toEqual(['a', 'bad', 'c']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([
      [{ text: 'a' }],
      'Error: syntax error',
      [{ text: 'c' }],
    ]);
  });
});
