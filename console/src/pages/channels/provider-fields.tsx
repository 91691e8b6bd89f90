import { Field } from '../../ui/field.tsx';
import { Button } from '../../ui/button.tsx';
import type { Draft } from './form-state.ts';
import { GROUPS, type FieldDef, type ProviderDef } from './providers.ts';

type Props = {
  def: ProviderDef;
  draft: Draft;
  /** Whether a secret is stored for this provider, by path. */
  configured: (path: string) => boolean;
  errorFor: (path: string) => string | undefined;
  onValue: (path: string, value: string | boolean) => void;
  onSecret: (path: string, secret: Draft['secrets'][string]) => void;
};

/** The provider's fields: ungrouped first, then each optional group in its own fieldset. */
export function ProviderFields(props: Props) {
  const loose = props.def.fields.filter((f) => !f.group);
  const groups = [...new Set(props.def.fields.map((f) => f.group).filter((g): g is string => Boolean(g)))];
  return (
    <div class="provider-fields">
      <div class="field-grid">
        {loose.map((field) => (
          <FieldControl key={field.path} field={field} {...props} />
        ))}
      </div>
      {groups.map((group) => (
        <fieldset key={group} class="field-group">
          <legend>{GROUPS[group]?.legend ?? group}</legend>
          {GROUPS[group] ? <p class="field-hint">{GROUPS[group].hint}</p> : null}
          <div class="field-grid">
            {props.def.fields
              .filter((f) => f.group === group)
              .map((field) => (
                <FieldControl key={field.path} field={field} {...props} />
              ))}
          </div>
        </fieldset>
      ))}
    </div>
  );
}

const labelOf = (field: FieldDef) => (field.required ? `${field.label} (required)` : field.label);

function FieldControl(props: Props & { field: FieldDef }) {
  const { field, draft } = props;
  const error = props.errorFor(field.path);
  const name = field.path;
  if (field.kind === 'secret') return <SecretControl {...props} error={error} />;
  const value = draft.values[field.path];
  if (field.kind === 'checkbox') {
    return (
      <div class={`field field-check${error ? ' field-invalid' : ''}`}>
        <label>
          <input
            type="checkbox"
            name={name}
            checked={value === true}
            onChange={(e) => props.onValue(field.path, e.currentTarget.checked)}
          />{' '}
          {field.label}
        </label>
        {field.hint ? <p class="field-hint">{field.hint}</p> : null}
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  const set = (e: { currentTarget: { value: string } }) => props.onValue(field.path, e.currentTarget.value);
  return (
    <Field label={labelOf(field)} hint={field.hint} error={error}>
      {(id) => {
        const described = { 'aria-invalid': error ? true : undefined };
        if (field.kind === 'select') {
          return (
            <select id={id} name={name} value={text} onChange={set} {...described}>
              {field.options?.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          );
        }
        if (field.kind === 'lines' || field.kind === 'pairs') {
          return (
            <textarea
              id={id}
              name={name}
              rows={3}
              value={text}
              placeholder={field.placeholder}
              onInput={set}
              {...described}
            />
          );
        }
        if (field.kind === 'color') {
          return (
            <span class="color-input">
              <input
                type="color"
                aria-label={`${field.label} picker`}
                value={/^#[0-9a-f]{6}$/i.test(text) ? text : '#0084ff'}
                onInput={set}
              />
              <input
                id={id}
                name={name}
                value={text}
                placeholder={field.placeholder}
                onInput={set}
                {...described}
              />
            </span>
          );
        }
        return (
          <input
            id={id}
            name={name}
            type="text"
            inputMode={field.kind === 'number' ? 'numeric' : undefined}
            autoComplete="off"
            spellcheck={false}
            value={text}
            placeholder={field.placeholder}
            onInput={set}
            {...described}
          />
        );
      }}
    </Field>
  );
}

/**
 * A secret: when stored, "configured" and a Replace button (its value is never sent to the browser); otherwise, or
 * while replacing, a password input.
 */
function SecretControl(props: Props & { field: FieldDef; error: string | undefined }) {
  const { field } = props;
  const secret = props.draft.secrets[field.path] ?? { replacing: false, value: '' };
  const stored = props.configured(field.path);
  if (stored && !secret.replacing) {
    return (
      <div class={`field${props.error ? ' field-invalid' : ''}`}>
        <span class="field-label" id={`${field.path}-label`}>
          {field.label}
        </span>
        <div class="secret-configured">
          <span class="badge badge-ok">Configured</span>
          <Button
            aria-label={`Replace ${field.label}`}
            onClick={() => props.onSecret(field.path, { replacing: true, value: '' })}
          >
            Replace
          </Button>
        </div>
        {field.hint ? <p class="field-hint">{field.hint}</p> : null}
        {props.error ? (
          <p class="field-error" role="alert">
            {props.error}
          </p>
        ) : null}
      </div>
    );
  }
  return (
    <Field
      label={labelOf(field)}
      hint={stored ? 'Type the new value; Cancel keeps the stored one.' : field.hint}
      error={props.error}
    >
      {(id) => (
        <span class="secret-input">
          <input
            id={id}
            name={field.path}
            type="password"
            autoComplete="new-password"
            spellcheck={false}
            value={secret.value}
            placeholder={field.placeholder}
            aria-invalid={props.error ? true : undefined}
            onInput={(e) => props.onSecret(field.path, { ...secret, value: e.currentTarget.value })}
          />
          {stored ? (
            <Button
              variant="ghost"
              onClick={() => props.onSecret(field.path, { replacing: false, value: '' })}
            >
              Cancel
            </Button>
          ) : null}
        </span>
      )}
    </Field>
  );
}
