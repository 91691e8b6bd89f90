import type { Role } from '../../session.tsx';

/** Every role, weakest first, with what it may do (shown next to role pickers). */
export const ROLES: { role: Role; label: string; means: string }[] = [
  { role: 'viewer', label: 'Viewer', means: 'reads everything, changes nothing' },
  { role: 'member', label: 'Member', means: 'runs agents, channels and conversations' },
  { role: 'admin', label: 'Admin', means: 'also manages members, LLM keys and API tokens' },
  { role: 'owner', label: 'Owner', means: 'everything, including the organization itself' },
];

/** The roles someone may grant: never above their own (the API refuses it anyway). */
export const grantable = (can: (min: Role) => boolean) => ROLES.filter((r) => can(r.role));
