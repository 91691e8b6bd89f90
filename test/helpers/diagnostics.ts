import type { TestApp } from './app.ts';

/**
 * What the engine was doing, for a wait that timed out: warnings and errors it logged, its jobs that have not
 * completed (state, retries, due time) and its latest messages. Printed by a failing test so a rare CI failure
 * explains itself.
 */
export async function engineDiagnostics(app: TestApp): Promise<string> {
  const problems = app.logs.filter((line) => /"level":"(warn|error|fatal)"/.test(line)).slice(-20);
  const jobs = await app.database
    .query<Record<string, unknown>>(
      `select name, state, singleton_key, retry_count, start_after, created_on, started_on, output
       from pgboss.job where state <> 'completed' order by created_on limit 20`,
    )
    .catch((error: unknown) => [{ error: String(error) }]);
  const messages = await app.database
    .query<Record<string, unknown>>(
      `select direction, channel, status, attempts, next_attempt_at, error_code, created_at, answered_at
       from messages order by seq desc limit 10`,
    )
    .catch((error: unknown) => [{ error: String(error) }]);
  return [
    `now ${new Date().toISOString()}`,
    `warnings and errors logged (${problems.length}):`,
    ...problems.map((line) => line.trimEnd()),
    `jobs not completed (${jobs.length}):`,
    ...jobs.map((job) => JSON.stringify(job)),
    'latest messages:',
    ...messages.map((message) => JSON.stringify(message)),
  ].join('\n');
}

/** Runs `wait`; when it throws, the error carries the engine's diagnostics. */
export async function withDiagnostics<T>(app: TestApp, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${await engineDiagnostics(app)}`, { cause: error });
  }
}
