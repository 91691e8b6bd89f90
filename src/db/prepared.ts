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

/** The statement's name, given once per distinct text (up to MAX_NAMED); undefined when it is not single DML. */
function nameOf(text: string): string | undefined {
  // A text named once is known to be a single statement: the per-call cost is this lookup.
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED && isSingleDml(text)) {
    name = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A parameterized statement as a named (prepared) statement: node-postgres parses it once per connection and
 * PostgreSQL may reuse its plan (planning was a third of the database time of an inbound backlog). Names are a
 * hash of the text, so every connection agrees on them. Only single DML statements with parameters are named:
 * BEGIN, DDL and multi-statement texts stay simple queries, and so do texts without parameters: their one cached
 * plan would not follow a table's growth until its next ANALYZE (`JOB_FETCH` is the exception).
 */
export function named(text: string, values?: readonly unknown[]): NamedQuery {
  if (!values) return { text };
  return withName(text, [...values], values.length === 0 ? undefined : nameOf(text));
}

const withName = (text: string, values: unknown[], name: string | undefined): NamedQuery =>
  name === undefined ? { text, values } : { name, text, values };

/**
 * pg-boss's job fetch, which inlines its queue name and batch size (no parameters), so it was planned on every
 * call: 0.7 ms of planning per fetch, as much as running it (pg_stat_statements, inbound backlog). Named, its
 * plan is cached per connection and made again whenever the job table is analyzed — by autovacuum, and every
 * few seconds while a backlog lasts (JobTableStatistics), which is when a plan made on the small table of an
 * idle queue would go wrong (before that ANALYZE existed, such a plan measured 1.15 ms per fetch against 0.8 ms
 * planned afresh; with it, the same 0.7 ms per fetch as planned afresh).
 */
const JOB_FETCH = /\bFOR UPDATE OF j SKIP LOCKED\b/;

/** pg-boss's statements as `named` makes ours; its job fetch (a parameterless text) named as well. */
export function namedJobStatement(text: string, values?: readonly unknown[]): NamedQuery {
  if ((values && values.length > 0) || !JOB_FETCH.test(text)) return named(text, values);
  return withName(text, [...(values ?? [])], nameOf(text));
}

/** pg-boss's database adapter, with its statements run through `namedJobStatement`. */
export function preparePgBossStatements(db: {
  executeSql: (text: string, values?: unknown[], options?: unknown) => Promise<unknown>;
}): void {
  const executeSql = db.executeSql.bind(db) as (
    query: unknown,
    values?: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  db.executeSql = (text, values, options) => executeSql(namedJobStatement(text, values), undefined, options);
}
