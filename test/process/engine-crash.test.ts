import { describe, expect, it } from 'vitest';
import { crashScenario, KILL_AFTER_ACKS } from '../helpers/crash-scenario.ts';

describe('a SIGKILL mid-stream loses nothing and answers nothing twice', () => {
  it('on the embedded database', async () => {
    const result = await crashScenario({});
    expect(result.ackedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    process.stdout.write(`crash (pglite): ${JSON.stringify(result)}\n`);
  });
});
