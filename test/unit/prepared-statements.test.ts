import { expect, it } from 'vitest';
import { named } from '../../src/db/prepared.ts';

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
});
