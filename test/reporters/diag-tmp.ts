import fs from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
export default class Diag implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules.map((m) => ({ name: `${m.project.name}/${m.relativeModuleId}`, ...m.diagnostic() }));
    fs.writeFileSync('/tmp/diag.json', JSON.stringify(rows));
  }
}
