import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Projects whose files each take tens of seconds (spawned servers, Chromium) start first. */
const FIRST = ['process', 'browser'];

/**
 * vitest's default order runs projects alphabetically, which put the process project's long files (70-90 s each)
 * at the end of CI with one worker idle. Here they start first and the many short database files fill in after.
 */
export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = FIRST.indexOf(spec.project.name);
      return at === -1 ? FIRST.length : at;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
