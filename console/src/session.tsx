import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Page, setUnauthorizedHandler } from './api.ts';

export type Role = 'owner' | 'admin' | 'member' | 'viewer';
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export type User = { _id: string; email: string; name: string };
export type Organization = { _id: string; name: string; role: Role };
export type Project = { _id: string; name: string };
export type Agent = {
  _id: string;
  name: string;
  project: string;
  organization: string;
  [key: string]: unknown;
};

export type Session = {
  user: User;
  organizations: Organization[];
  org: Organization | undefined;
  projects: Project[];
  project: Project | undefined;
  agents: Agent[];
  agent: Agent | undefined;
  role: Role | undefined;
  /** Whether the user's role in the selected organization is at least `min` (hide write controls otherwise). */
  can: (min: Role) => boolean;
  selectOrg: (id: string) => void;
  selectProject: (id: string) => void;
  selectAgent: (id: string) => void;
  /** Re-reads projects and agents (after one is created, renamed or deleted). */
  reload: () => void;
  logout: () => Promise<void>;
  /** `/api/v1/organizations/<org>/projects/<project>`, or undefined before both are chosen. */
  projectPath: string | undefined;
  /** `…/agents/<agent>`, or undefined before an agent is chosen. */
  agentPath: string | undefined;
};

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionProvider>');
  return session;
}

const remembered = (key: string) => localStorage.getItem(`sb.console.${key}`) ?? undefined;
const remember = (key: string, value: string) => localStorage.setItem(`sb.console.${key}`, value);
const pick = <T extends { _id: string }>(items: T[], id: string | undefined) =>
  items.find((item) => item._id === id) ?? items[0];

type Profile = { user: User; organizations: Organization[] };

/** Loads the profile, then the chosen organization's projects and the chosen project's agents. */
export function SessionProvider(props: {
  profile: Profile;
  onLogout: () => void;
  children: ComponentChildren;
}) {
  const { profile, onLogout } = props;
  const [orgId, setOrgId] = useState(remembered('org'));
  const [projectId, setProjectId] = useState(remembered('project'));
  const [agentId, setAgentId] = useState(remembered('agent'));
  const [projects, setProjects] = useState<Project[]>([]);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [generation, setGeneration] = useState(0);
  const org = pick(profile.organizations, orgId);
  const project = pick(projects, projectId);
  const agent = pick(agents, agentId);

  useEffect(() => setUnauthorizedHandler(onLogout), [onLogout]);
  useEffect(() => {
    if (!org) return;
    api<Page<Project>>('GET', `/api/v1/organizations/${org._id}/projects?limit=100`).then(
      (page) => setProjects(page.data),
      () => setProjects([]),
    );
  }, [org?._id, generation]);
  useEffect(() => {
    if (!org || !project) return setAgents([]);
    api<Page<Agent>>('GET', `/api/v1/organizations/${org._id}/projects/${project._id}/agents?limit=100`).then(
      (page) => setAgents(page.data),
      () => setAgents([]),
    );
  }, [org?._id, project?._id, generation]);

  const logout = useCallback(async () => {
    await api('POST', '/api/v1/auth/console/logout').catch(() => undefined);
    onLogout();
  }, [onLogout]);

  const value = useMemo<Session>(() => {
    const role = org?.role;
    const projectPath =
      org && project ? `/api/v1/organizations/${org._id}/projects/${project._id}` : undefined;
    return {
      user: profile.user,
      organizations: profile.organizations,
      org,
      projects,
      project,
      agents,
      agent,
      role,
      can: (min) => role !== undefined && RANK[role] >= RANK[min],
      selectOrg: (id) => (remember('org', id), setOrgId(id)),
      selectProject: (id) => (remember('project', id), setProjectId(id)),
      selectAgent: (id) => (remember('agent', id), setAgentId(id)),
      reload: () => setGeneration((n) => n + 1),
      logout,
      projectPath,
      agentPath: projectPath && agent ? `${projectPath}/agents/${agent._id}` : undefined,
    };
  }, [profile, org, projects, project, agents, agent, logout]);

  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}
