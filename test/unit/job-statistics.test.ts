import { expect, it } from 'vitest';
import { JobTableStatistics } from '../../src/engine/job-statistics.ts';
import { captureLogger } from '../helpers/logs.ts';

it('analyzes at most once per interval and never two at a time; a failure is logged and the next one still runs', async () => {
  let clock = 0;
  const runs: ReturnType<typeof Promise.withResolvers<void>>[] = [];
  const { logger, lines } = captureLogger('warn');
  const statistics = new JobTableStatistics(
    () => {
      const run = Promise.withResolvers<void>();
      runs.push(run);
      return run.promise;
    },
    logger,
    1000,
    () => clock,
  );
  statistics.backlogSeen();
  expect(runs).toHaveLength(1);
  // Still running, and within the interval.
  clock = 500;
  statistics.backlogSeen();
  expect(runs).toHaveLength(1);
  // Past the interval but the first has not finished: still one at a time.
  clock = 1500;
  statistics.backlogSeen();
  expect(runs).toHaveLength(1);
  runs[0]!.reject(new Error('permission denied for table job_common'));
  await new Promise((r) => setImmediate(r));
  expect(lines.join('')).toContain('analyzing the job table failed');
  statistics.backlogSeen();
  expect(runs).toHaveLength(2);
  runs[1]!.resolve();
  await new Promise((r) => setImmediate(r));
  clock = 2000;
  statistics.backlogSeen();
  expect(runs).toHaveLength(2);
  clock = 2500;
  statistics.backlogSeen();
  expect(runs).toHaveLength(3);
});
