import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * Cryptographic random bytes drawn from a pool refilled 4 KB at a time: ulid's default asks the OS for one byte
 * per character (16 calls per id at each new millisecond), which showed in the webhook ingest profile.
 */
const pool = new Uint8Array(4096);
let used = pool.length;
function pooledRandom(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return (pool[used++] as number) / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

/** Id prefixes; every stored object gets `<prefix>_<lowercase ulid>`, which sorts by creation time. */
export type IdPrefix =
  | 'user'
  | 'org'
  | 'proj'
  | 'agent'
  | 'conv'
  | 'tok'
  | 'llmkey'
  | 'msg'
  | 'contact'
  | 'ident'
  | 'evt'
  | 'visitor'
  | 'inv'
  | 'rawmail'
  | 'merge'
  | 'whk';

/** A new prefixed, time-sortable id such as `agent_01jd…`. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}

const ID_SHAPE = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `value` has the shape of an id with `prefix`. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_SHAPE.test(value);
}
