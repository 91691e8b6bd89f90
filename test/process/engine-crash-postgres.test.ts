import { describe, expect, it } from 'vitest';
import { cleanups, crashScenario, KILL_AFTER_ACKS } from '../helpers/crash-scenario.ts';
import { scratchDatabase } from '../helpers/database.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

describe('a SIGKILL mid-stream loses nothing and answers nothing twice', () => {
  it.runIf(adminUrl)('on PostgreSQL', async () => {
    const scratch = await scratchDatabase(adminUrl as string, 'sb_crash');
    cleanups.push(scratch.drop);
    const result = await crashScenario({ DATABASE_URL: scratch.url });
    expect(result.ackedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    process.stdout.write(`crash (postgres): ${JSON.stringify(result)}\n`);
  });
});
