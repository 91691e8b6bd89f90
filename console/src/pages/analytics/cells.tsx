import type { ComponentChildren } from 'preact';
import { formatCount, formatDuration } from './format.ts';

/** A count, readable and with its exact value in <data value>. */
export const Count = (props: { n: number }) => <data value={props.n}>{formatCount(props.n)}</data>;

/** A duration in milliseconds (or none), readable and exact. */
export const Duration = (props: { ms: number | null }) => (
  <data value={props.ms ?? ''}>{formatDuration(props.ms)}</data>
);

/** The numbers behind a chart, as a table behind a disclosure (keyboard: Enter/Space on the summary). */
export function NumbersTable(props: {
  caption: string;
  head: string[];
  rows: ComponentChildren[][];
  name: string;
  /** Leading columns of text (the rest are numbers, right-aligned). */
  textColumns?: number;
}) {
  const text = props.textColumns ?? 1;
  return (
    <details class="numbers">
      <summary>Numbers: {props.caption}</summary>
      <div class="table-scroll">
        <table class="numbers-table" data-table={props.name}>
          <caption class="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              {props.head.map((title, index) => (
                <th key={title} scope="col" class={index < text ? undefined : 'num'}>
                  {title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.length === 0 ? (
              <tr>
                <td colSpan={props.head.length} class="muted">
                  Nothing in this range.
                </td>
              </tr>
            ) : (
              props.rows.map((cells, row) => (
                <tr key={row}>
                  {cells.map((cell, index) =>
                    index === 0 ? (
                      <th key={index} scope="row">
                        {cell}
                      </th>
                    ) : (
                      <td key={index} class={index < text ? undefined : 'num'}>
                        {cell}
                      </td>
                    ),
                  )}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </details>
  );
}
