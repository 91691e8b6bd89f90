import { createHash } from 'node:crypto';

/** Most distinct statement texts given a name; later ones run unnamed (planned every time). */
const MAX_NAMED = 500;
const names = new Map<string, string>();
const SINGLE_DML = /^\s*(with|select|insert|update|delete)\b[^;]*;?\s*$/i;
/** Quoted literals and identifiers ('' and "" escapes) and line comments: a `;` inside them ends nothing. */
const QUOTED = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*/g;
/** Quoting read differently (E'…' escapes, dollar quotes, block comments): such texts are left unnamed. */
const OTHER_QUOTING = /\bE'|\$(?:[A-Za-z_]\w*)?\$|\/\*/i;

/** One DML statement: a `;` only at the end, outside quotes (the reply's error text has one inside). */
function isSingleDml(text: string): boolean {
  return !OTHER_QUOTING.test(text) && SINGLE_DML.test(text.replace(QUOTED, "''"));
}

export type NamedQuery = { name?: string; text: string; values?: unknown[] };

/**
 * A parameterized statement as a named (prepared) statement: node-postgres parses it once per connection and
 * PostgreSQL may reuse its plan (planning was a third of the database time of an inbound backlog). Names are a
 * hash of the text, so every connection agrees on them. Only single DML statements with parameters are named:
 * BEGIN, DDL and multi-statement texts stay simple queries, and so do texts without parameters, whose one
 * cached plan would never adapt to the data (pg-boss's fetch, with its queue name inlined, measured 1.15 ms per
 * call on a plan cached while the job table was small, against 0.8 ms planned afresh).
 */
export function named(text: string, values?: readonly unknown[]): NamedQuery {
  if (!values) return { text };
  const params = [...values];
  if (params.length === 0) return { text, values: params };
  // A text named once is known to be a single statement: the per-call cost is this lookup.
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED && isSingleDml(text)) {
    name = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name === undefined ? { text, values: params } : { name, text, values: params };
}

/** pg-boss's database adapter, with its statements run through `named`. */
export function preparePgBossStatements(db: {
  executeSql: (text: string, values?: unknown[], options?: unknown) => Promise<unknown>;
}): void {
  const executeSql = db.executeSql.bind(db) as (
    query: unknown,
    values?: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  db.executeSql = (text, values, options) => executeSql(named(text, values), undefined, options);
}
