import { createRequire } from 'node:module';

/** The package version, reported in the OpenAPI document and at start-up. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
