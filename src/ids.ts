import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

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
