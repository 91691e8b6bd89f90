import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary, preceded by
 * the slowest files (where CI time goes).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of modules) {
      for (const test of module.children.allTests()) counts[test.result().state] += 1;
    }
    const slowest = [...modules]
      .map((module) => ({
        name: `${module.project.name}/${module.relativeModuleId}`,
        ms: module.diagnostic().duration,
      }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 12);
    if (slowest.length > 1) {
      process.stdout.write('\nslowest files:\n');
      for (const { name, ms } of slowest)
        process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}\n`);
    }
    const skipped = counts.skipped + counts.pending;
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${skipped} skipped\n`);
  }
}
