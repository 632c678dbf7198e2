import { DomainError } from './errors.js';

/**
 * Observed status of a game server. A closed union: anything else is a bug.
 * `restoring` is the state a server is in while a backup is written back into its folder.
 * `sleeping`: stopped because nobody played (a login through the gateway starts it); `frozen`: its
 * process is paused in memory for the same reason (a login resumes it at once). See docs/gateway.md.
 */
export const SERVER_STATUSES = [
  'deploying',
  'stopped',
  'starting',
  'running',
  'stopping',
  'sleeping',
  'frozen',
  'crashed',
  'failed',
  'restoring',
  'deleting',
] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

/** What the user wants the server to be. The reconciler drives `status` toward it. */
export const DESIRED_STATES = ['running', 'stopped', 'sleeping'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/** Every legal status change. Anything not listed is refused with INVALID_TRANSITION. */
const TRANSITIONS: Readonly<Record<ServerStatus, readonly ServerStatus[]>> = {
  deploying: ['stopped', 'failed', 'deleting'],
  stopped: ['starting', 'restoring', 'deploying', 'deleting', 'failed', 'sleeping'],
  starting: ['running', 'stopping', 'stopped', 'crashed', 'failed', 'deleting'],
  running: ['stopping', 'stopped', 'crashed', 'failed', 'deleting', 'frozen'],
  stopping: ['stopped', 'crashed', 'failed', 'deleting', 'sleeping'],
  sleeping: ['starting', 'stopped', 'deleting'],
  frozen: ['running', 'stopping', 'stopped', 'crashed', 'failed', 'deleting'],
  crashed: ['starting', 'stopped', 'failed', 'deleting'],
  failed: ['starting', 'stopped', 'deploying', 'deleting', 'restoring'],
  restoring: ['stopped', 'failed'],
  deleting: [],
};

export function canTransition(from: ServerStatus, to: ServerStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertTransition(from: ServerStatus, to: ServerStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_TRANSITION', `A server that is ${from} cannot become ${to}.`, {
      from,
      to,
    });
  }
}

/** User-facing actions and the statuses each may be asked in. */
export const POWER_ACTIONS = ['start', 'stop', 'restart', 'kill'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

const ACTION_ALLOWED_FROM: Readonly<
  Record<PowerAction | 'delete' | 'configure' | 'restore' | 'backup', readonly ServerStatus[]>
> = {
  start: ['stopped', 'crashed', 'failed', 'sleeping'],
  stop: ['starting', 'running', 'crashed', 'sleeping'],
  restart: ['starting', 'running', 'crashed', 'stopped', 'failed'],
  kill: ['starting', 'running', 'stopping', 'crashed', 'frozen'],
  delete: [
    'deploying',
    'stopped',
    'starting',
    'running',
    'stopping',
    'sleeping',
    'frozen',
    'crashed',
    'failed',
  ],
  configure: ['stopped', 'starting', 'running', 'stopping', 'sleeping', 'crashed', 'failed'],
  restore: ['stopped', 'starting', 'running', 'stopping', 'sleeping', 'crashed', 'failed'],
  // A running server is backed up hot (saving paused); one without a process is archived as it is.
  // Starting and stopping servers are refused: their console may not take save-off yet, or any more.
  backup: ['stopped', 'running', 'sleeping', 'crashed', 'failed'],
};

export type ServerAction = keyof typeof ACTION_ALLOWED_FROM;

export function assertActionAllowed(action: ServerAction, status: ServerStatus): void {
  if (!ACTION_ALLOWED_FROM[action].includes(status)) {
    throw new DomainError('INVALID_TRANSITION', `Cannot ${action} a server that is ${status}.`, {
      action,
      status,
    });
  }
}

export function isActionAllowed(action: ServerAction, status: ServerStatus): boolean {
  return ACTION_ALLOWED_FROM[action].includes(status);
}

/** Statuses in which a game process exists (or may exist) for the server. */
export const PROCESS_STATUSES: readonly ServerStatus[] = ['starting', 'running', 'stopping'];
