import { useState } from 'preact/hooks';
import { Button } from '../../ui/button.tsx';
import { dayOf, MAX_HOURLY_DAYS, PRESETS, type RangeChoice } from './range.ts';
import type { Interval } from './types.ts';

/** Range (7/30/90 days or custom dates) and bucket interval. */
export function Controls(props: {
  choice: RangeChoice;
  interval: Interval;
  days: number;
  onChoice: (choice: RangeChoice) => void;
  onInterval: (interval: Interval) => void;
}) {
  const today = dayOf(Date.now());
  const [fromDate, setFromDate] = useState(
    props.choice.kind === 'custom' ? props.choice.fromDate : dayOf(Date.now() - 13 * 86_400_000),
  );
  const [toDate, setToDate] = useState(props.choice.kind === 'custom' ? props.choice.toDate : today);
  const [custom, setCustom] = useState(props.choice.kind === 'custom');
  const reversed = fromDate > toDate;

  return (
    <div class="an-controls">
      <fieldset class="segmented">
        <legend>Range</legend>
        {PRESETS.map((days) => (
          <label key={days}>
            <input
              type="radio"
              name="an-range"
              checked={!custom && props.choice.kind === 'preset' && props.choice.days === days}
              onChange={() => {
                setCustom(false);
                props.onChoice({ kind: 'preset', days });
              }}
            />
            <span>{days} days</span>
          </label>
        ))}
        <label>
          <input type="radio" name="an-range" checked={custom} onChange={() => setCustom(true)} />
          <span>Custom</span>
        </label>
      </fieldset>
      {custom ? (
        <form
          class="an-custom"
          onSubmit={(e) => {
            e.preventDefault();
            if (!reversed && fromDate && toDate) props.onChoice({ kind: 'custom', fromDate, toDate });
          }}
        >
          <label class="inline-field">
            <span>From</span>
            <input
              type="date"
              value={fromDate}
              max={today}
              required
              onInput={(e) => setFromDate(e.currentTarget.value)}
            />
          </label>
          <label class="inline-field">
            <span>To</span>
            <input
              type="date"
              value={toDate}
              max={today}
              required
              onInput={(e) => setToDate(e.currentTarget.value)}
            />
          </label>
          <Button type="submit" variant="primary" disabled={reversed}>
            Apply
          </Button>
          {reversed ? (
            <p class="field-error" role="alert">
              “From” must not be after “To”.
            </p>
          ) : null}
        </form>
      ) : null}
      <label class="inline-field">
        <span>Interval</span>
        <select value={props.interval} onChange={(e) => props.onInterval(e.currentTarget.value as Interval)}>
          <option value="hour" disabled={props.days > MAX_HOURLY_DAYS}>
            Hour{props.days > MAX_HOURLY_DAYS ? ` (up to ${MAX_HOURLY_DAYS} days)` : ''}
          </option>
          <option value="day">Day</option>
          <option value="week">Week</option>
        </select>
      </label>
      <span class="muted an-utc">Times in UTC</span>
    </div>
  );
}
