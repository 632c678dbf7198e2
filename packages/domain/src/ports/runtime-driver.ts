import type { Distribution } from '../distributions.js';
import type { ServerArchives } from './server-archives.js';
import type { ServerFiles } from './server-files.js';

/**
 * The runtime driver port: the one interface through which services run game servers.
 *
 * Implementations: the local driver (@minefleet/runtime-local, one child process per server in its own
 * folder) and the Kubernetes driver (@minefleet/runtime-kubernetes, a preview: MinecraftServer resources
 * run by the operator; what needs an in-pod agent throws RUNTIME_UNSUPPORTED). Both run the shared
 * conformance suite in @minefleet/runtime-local/conformance (run it against any new driver; a driver
 * names the features it lacks). Services never downcast.
 *
 * A driver is mechanism, not policy: it launches, signals, observes and reports. The lifecycle service
 * owns the state machine, the per-server lock, crash backoff and the desired-state reconcile loop.
 */
export interface RuntimeDriver {
  /** A short name for logs and health checks, e.g. `local`. */
  readonly name: string;

  /** Distributions and versions this driver can run here (versions newest first). */
  catalogue(): Promise<DistributionInfo[]>;

  /**
   * Prepares the server's workspace: folder, configuration files, server software (downloaded and
   * checksum-verified, or taken from the cache). Idempotent; safe to call again after a failure.
   * Throws DomainError DISTRIBUTION_UNAVAILABLE / RUNTIME_UNAVAILABLE / UNSUPPORTED_VERSION.
   */
  deploy(spec: ServerSpec, signal?: AbortSignal): Promise<void>;

  /** Rewrites the configuration files (server.properties and the like) for the next start. */
  configure(spec: ServerSpec): Promise<void>;

  /**
   * Launches the game process with the given spec. Resolves once the process exists (not when it is
   * ready: the caller pings). Throws if a process for this server is already alive.
   * `generation` is echoed in every later event about this process, so stale events can be ignored.
   */
  start(spec: ServerSpec, options: StartOptions): Promise<ProcessInfo>;

  /**
   * Writes one line to the server console. Throws SERVER_NOT_RUNNING when no process is alive.
   * `sendCommand`, `stop` and `kill` act on the server's live process whoever started it (this driver,
   * an earlier control plane or another replica); a driver attaches on demand where it must.
   */
  sendCommand(serverId: string, command: string): Promise<void>;

  /**
   * Graceful stop: `stop` on the console (after the caller's own commands), wait up to `timeoutMs` for the
   * process to exit on its own, then kill it. Resolves with how it ended. Resolves at once if not running.
   */
  stop(serverId: string, options: StopOptions): Promise<ExitInfo | null>;

  /** Kills the process at once (SIGKILL or equivalent). Resolves when it is gone. */
  kill(serverId: string): Promise<ExitInfo | null>;

  /**
   * Pauses (`true`) or resumes (`false`) the server's live process where it is, memory kept: the freeze
   * tier of sleeping servers. Optional: a driver that cannot pause leaves it out (servers then sleep by
   * stopping). Throws SERVER_NOT_RUNNING when no process is alive.
   */
  pause?(serverId: string, paused: boolean): Promise<void>;

  /** What the driver sees of the server's process now. */
  inspect(serverId: string): Promise<ProcessObservation>;

  /**
   * Re-attaches to game processes that outlived a previous control plane (after a crash or restart), or
   * that another control-plane replica started. Returns what it found for each id asked; processes it
   * does not know are left alone. Idempotent: an attached process is reported as it is.
   */
  adopt(serverIds: readonly string[], options?: AdoptOptions): Promise<Map<string, ProcessObservation>>;

  /**
   * Where a player's connection reaches the running server from inside the platform (the gateway
   * connects there), for a driver whose servers are not on this host's game ports: the Kubernetes driver
   * answers the server's Service (or pod) address. Undefined while the server has no address (not
   * running, pod not ready). Optional: without it a server is at the gateway's backend host and the
   * server's own game port.
   */
  endpoint?(serverId: string): Promise<{ host: string; port: number } | undefined>;

  /** Minecraft server-list ping of the running server. Throws if it does not answer within `timeoutMs`. */
  ping(serverId: string, timeoutMs?: number): Promise<PingResult>;

  /**
   * Whether the server's live process admits players: it finished loading, plugins included, and said so
   * (its `Done` line). A server answers the server-list ping before that, so a start is over only when
   * both hold. False when no process is alive or it cannot tell yet. Optional: without it a server is
   * ready at its first answered ping.
   */
  ready?(serverId: string): Promise<boolean>;

  /** CPU, memory and disk use of the server's process and folder. Null if no process is alive. */
  stats(serverId: string): Promise<ProcessStats | null>;

  /**
   * Bytes the server's files take on its storage: the one measure the plan's storage limit, the files
   * API's quota and the disk metrics use. Measuring can be costly (the local driver walks the folder),
   * so a driver may answer from a recent measurement: one it keeps for a while and drops when told of a
   * change (`storageChanged`) or when the server is removed. `fresh` measures now (and what later calls
   * get is that measurement): the storage watcher asks so for running servers, whose game writes
   * unannounced, and callers confirm a refusal so before they refuse. 0 for a server it holds nothing of.
   */
  storageUsed(serverId: string, options?: { fresh?: boolean }): Promise<number>;

  /**
   * The platform changed the server's files without this driver (a restore, an upload, an extraction, a
   * plugin install, an edit through the files API): the next `storageUsed` measures again.
   */
  storageChanged(serverId: string): void;

  /**
   * Players connected right now with their connection's round trip, where the distribution reports
   * them (the built-in flying-squid does); null when it cannot tell. Optional: a driver without it
   * leaves the online list to the join and leave lines.
   */
  players?(serverId: string): Promise<LivePlayer[] | null>;

  /** Subscribes to console lines and process exits of every server. Never blocks the producer. */
  onEvent(listener: (event: RuntimeEvent) => void): () => void;

  /** Reads the captured console log (newest last), filtered and paginated. */
  readLogs(serverId: string, query: LogQuery): Promise<LogPage>;

  /** Where the server's files are, for backups, restores and plugin installs. */
  workspace(serverId: string): WorkspacePaths;

  /**
   * The files of its servers where they are not in a folder of this machine (`workspace`): the
   * Kubernetes driver reaches a running server's volume through its pod's agent. Optional: without it
   * the files API works on `workspace(serverId).root` with the local adapter.
   */
  files?(): ServerFiles;

  /**
   * Backups and restores of its servers where the files are not in a folder of this machine: the
   * Kubernetes driver has the in-pod agent run the archive engine on the world volume. Optional: without
   * it the archive engine works on `workspace(serverId).root`.
   */
  archives?(): ServerArchives;

  /** Stops (force) and removes everything the driver holds for the server. Idempotent. */
  remove(serverId: string): Promise<void>;

  /** Detaches from every game process without stopping them (so they can be adopted again). */
  close(): Promise<void>;
}

export interface DistributionInfo {
  distribution: Distribution;
  /** Supported Minecraft versions, newest first. */
  versions: string[];
  /** Whether it can run now (e.g. Java present for Java servers), and why not. */
  available: boolean;
  reason?: string;
}

export type PropertyValue = string | number | boolean;

export interface ServerSpec {
  serverId: string;
  tenantId: string;
  name: string;
  distribution: Distribution;
  minecraftVersion: string;
  /** Address the game server binds to. */
  bindHost: string;
  port: number;
  memoryMb: number;
  cpuMillicores: number;
  maxPlayers: number;
  /** Validated server.properties values (keys as in server.properties, e.g. `motd`, `pvp`). */
  properties: Record<string, PropertyValue>;
}

export interface AdoptOptions {
  /**
   * Kill a process of the server that is alive but does not answer as that server (default true: after a
   * restart nobody else can control it). Replicas sharing servers pass false: an unanswering process may
   * be loading, started by another replica a moment ago.
   */
  reapUnresponsive?: boolean;
}

export interface StartOptions {
  generation: number;
  /** Console commands sent as soon as the process accepts input, before players can join. */
  preStartCommands?: string[];
  /** Properties that apply to this start only (not saved). */
  propertyOverrides?: Record<string, PropertyValue>;
}

export interface StopOptions {
  timeoutMs: number;
  /** Commands sent before `stop` (announcements, `save-all`). */
  beforeStop?: string[];
}

export interface ProcessInfo {
  pid: number;
  startedAt: Date;
  generation: number;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: Date;
  generation: number;
  /** Why it ended, when the driver knows more than the code (e.g. `was killed ... memory limit ...`). */
  reason?: string;
}

export type ProcessObservation =
  | { state: 'absent' }
  | { state: 'alive'; pid: number; startedAt: Date; generation: number }
  | { state: 'exited'; exit: ExitInfo };

export interface PingResult {
  latencyMs: number;
  onlinePlayers: number;
  maxPlayers: number;
  sample: { name: string; id: string }[];
  motd: string;
  version: string;
}

export interface LivePlayer {
  name: string;
  uuid: string | null;
  pingMs: number | null;
}

export interface ProcessStats {
  cpuPercent: number;
  memoryBytes: number;
  diskBytes: number;
  uptimeSeconds: number;
  /** Ticks per second and milliseconds per tick where the distribution reports them honestly. */
  tps?: number;
  mspt?: number;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where a console line came from: the game's output, a command typed into it, or Minefleet itself. */
export const LOG_SOURCES = ['stdout', 'stderr', 'command', 'platform'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

export interface ConsoleLine {
  ts: Date;
  level: LogLevel;
  source: LogSource;
  message: string;
}

export type RuntimeEvent =
  | { type: 'console'; serverId: string; line: ConsoleLine }
  | { type: 'exit'; serverId: string; exit: ExitInfo };

export interface LogQuery {
  /** Minimum level. */
  level?: LogLevel;
  since?: Date;
  until?: Date;
  /** Case-insensitive substring. */
  q?: string;
  /** Only the last N matching lines (before pagination). */
  tail?: number;
  page: number;
  perPage: number;
}

export interface LogPage {
  lines: ConsoleLine[];
  total: number;
}

export interface WorkspacePaths {
  /** The server's folder: everything a backup takes lives below it. */
  root: string;
  /** Where plugin files go. */
  pluginsDir: string;
  /** Paths (relative to root) that backups leave out: caches, logs, server jars. */
  backupExcludes: string[];
}
