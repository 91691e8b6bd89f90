import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data dir (dumpDataDir tarball): each test database starts from it instead of initdb. */
    pgliteTemplate: string;
  }
}

/** Creating a PGlite cluster costs seconds of CPU per test file; one migrated snapshot per run is loaded instead. */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pglite-template-'));
  const file = path.join(dir, 'template.tar');
  const database = await openDatabase({ kind: 'pglite' });
  try {
    await migrate(database);
    const dump = await database.pglite!.dumpDataDir('none');
    fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await database.close();
  }
  project.provide('pgliteTemplate', file);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
