import type { ROLES } from './roles.ts';

/** The <option>s of a role picker, weakest first. */
export function RoleOptions(props: { roles: typeof ROLES }) {
  return (
    <>
      {props.roles.map((r) => (
        <option key={r.role} value={r.role}>
          {r.label}
        </option>
      ))}
    </>
  );
}
