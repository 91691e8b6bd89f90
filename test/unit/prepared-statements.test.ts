import { expect, it } from 'vitest';
import { named, namedJobStatement } from '../../src/db/prepared.ts';
import { RECORD_REPLY_SQL } from '../../src/engine/record-reply.ts';

it('names single parameterized DML statements by their text, the same name for the same text', () => {
  const select = named('select * from t where id = $1', [1]);
  expect(select.name).toMatch(/^sb_[0-9a-f]{24}$/);
  expect(select).toMatchObject({ text: 'select * from t where id = $1', values: [1] });
  expect(named('select * from t where id = $1', [2]).name).toBe(select.name);
  expect(named('select * from t where id = $2', [2]).name).not.toBe(select.name);
  for (const text of [
    '  WITH x AS (select $1::int) select * from x',
    'insert into t values ($1)',
    'update t set a = $1',
    'delete from t where a = $1;',
    "update t set note = 'blocked; nothing was sent' where a = $1",
    `select "odd;name", 'it''s; fine' from t where a = $1 -- trailing; comment`,
  ]) {
    expect(named(text, [1]).name, text).toBeDefined();
  }
});

it('leaves everything else unnamed: no parameters, transaction control, DDL, several statements', () => {
  expect(named('select 1')).toEqual({ text: 'select 1' });
  expect(named('select 1', [])).toEqual({ text: 'select 1', values: [] });
  expect(named("select pg_notify('c', 'x')", []).name).toBeUndefined();
  expect(named('begin', [1]).name).toBeUndefined();
  expect(named('create table t (a int default $1)', [1]).name).toBeUndefined();
  expect(named('select $1; select 2', [1]).name).toBeUndefined();
  expect(named("select ';' as a, $1; select 2", [1]).name).toBeUndefined();
  expect(named("select 'it''s'; select $1", [1]).name).toBeUndefined();
  // Quoting this check does not read: unnamed, whatever the text holds.
  expect(named("select E'\\'; drop table t; --', $1", [1]).name).toBeUndefined();
  expect(named('select $q$;$q$, $1', [1]).name).toBeUndefined();
  expect(named('select $1 /* ; */', [1]).name).toBeUndefined();
});

it('names the reply statement, whose error text holds a semicolon (it was planned on every call)', () => {
  expect(RECORD_REPLY_SQL).toContain('sender; nothing');
  expect(named(RECORD_REPLY_SQL, [1]).name).toBeDefined();
});

it("names pg-boss's job fetch though it has no parameters, and only that among pg-boss's parameterless texts", () => {
  const fetch = `WITH next AS (SELECT j.id FROM pgboss.job_common j WHERE j.name = 'inbound' LIMIT 8
    FOR UPDATE OF j SKIP LOCKED) UPDATE pgboss.job_common j SET state = 'active' FROM next WHERE j.id = next.id`;
  expect(namedJobStatement(fetch, []).name).toMatch(/^sb_[0-9a-f]{24}$/);
  expect(namedJobStatement(fetch).name).toBe(namedJobStatement(fetch, []).name);
  expect(namedJobStatement(fetch)).toMatchObject({ text: fetch, values: [] });
  expect(
    namedJobStatement("DELETE FROM pgboss.job_common WHERE state = 'completed'", []).name,
  ).toBeUndefined();
  expect(namedJobStatement('select * from t where id = $1', [1]).name).toBe(
    named('select * from t where id = $1', [1]).name,
  );
  expect(namedJobStatement(`${fetch}; select 1`, []).name).toBeUndefined();
});
