import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../../api.ts';
import type { User } from '../../session.tsx';

type Member = { user_id: string; name: string; email: string };

/** Names operators by user id from the organization's members ("you" for the logged-in user). */
export function useOperatorNames(orgId: string | undefined, me: User): (userId: string) => string {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    if (!orgId) return;
    api<Page<Member>>('GET', `/api/v1/organizations/${orgId}/members?limit=100`).then(
      (page) => setNames(new Map(page.data.map((m) => [m.user_id, m.name || m.email]))),
      () => undefined,
    );
  }, [orgId]);
  return useCallback(
    (userId: string) => {
      const name = names.get(userId) ?? (userId === me._id ? me.name || me.email : 'Operator');
      return userId === me._id ? `${name} (you)` : name;
    },
    [names, me],
  );
}
