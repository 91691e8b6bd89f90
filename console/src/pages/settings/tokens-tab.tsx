import { useSession } from '../../session.tsx';
import { grantable } from './roles.ts';
import { TokenManager } from './token-manager.tsx';

/** Organization API tokens (admins only): for programs that call the API on the organization's behalf. */
export function TokensTab() {
  const s = useSession();
  if (!s.org || !s.can('admin')) return null;
  return (
    <TokenManager
      path={`/api/v1/organizations/${s.org._id}/api-tokens`}
      title={`API tokens of ${s.org.name}`}
      intro="For programs that call the Switchboard API for this organization. Send it as “Authorization: Bearer <token>”; its role caps what it may do."
      roles={grantable(s.can)}
    />
  );
}
