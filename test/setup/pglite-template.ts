import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

/** Creating a PGlite cluster costs seconds of CPU per test file; one migrated data dir per run is copied instead. */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pglite-template-'));
  const template = path.join(dir, 'pgdata');
  const database = await openDatabase({ kind: 'pglite', dataDir: template, walSync: false });
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
  project.provide('pgliteTemplate', template);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
