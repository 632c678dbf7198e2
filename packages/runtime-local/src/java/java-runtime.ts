import { log4jFlags } from './log4j-mitigation.js';
import { access, copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DomainError } from '@minefleet/domain/errors';
import type {
  DistributionInfo,
  PropertyValue,
  ServerSpec,
  StartOptions,
} from '@minefleet/domain/ports/runtime-driver';
import { writeFileAtomic, writeJsonAtomic } from '../atomic-file.js';
import {
  gameEnvironment,
  type DistributionRuntime,
  type LaunchPlan,
  type LogRotation,
} from '../distribution-runtime.js';
import { parseProperties, renderProperties } from '../properties-file.js';
import type { ServerFolder } from '../server-folder.js';
import { OFFICIAL_ENDPOINTS, type DistributionApi, type DistributionEndpoints } from './distribution-api.js';
import type { Fetch } from './download.js';
import { FabricApi } from './fabric-api.js';
import { JarStore, type JavaDistribution } from './jar-store.js';
import { detectJava, jvmMemoryFlags, requiredJavaMajor, type JavaInstallation } from './java-version.js';
import { MojangApi } from './mojang-api.js';
import { PaperApi } from './paper-api.js';
import { PurpurApi } from './purpur-api.js';

/** The supervisor shim: serves the console socket and writes the log for a JVM it runs on pipes. */
export const JAVA_SUPERVISOR = fileURLToPath(new URL('../../launcher/java-supervisor.cjs', import.meta.url));

export interface JavaRuntimeOptions {
  javaPath: string;
  jarDir: string | undefined;
  cacheDir: string;
  acceptEula: boolean;
  nodePath: string;
  log: LogRotation;
  /** What game processes inherit of the control plane's environment (inheritedEnvironment). */
  inheritedEnv: Record<string, string>;
  endpoints?: Partial<DistributionEndpoints>;
  fetch?: Fetch;
  /** How long a remote version list is reused by catalogue(). */
  versionsTtlMs?: number;
  /** How long catalogue() waits for a download service before answering with what it has. */
  catalogueTimeoutMs?: number;
}

const JAVA_DISTRIBUTIONS: readonly JavaDistribution[] = ['paper', 'vanilla', 'purpur', 'fabric'];

/** Properties the platform owns in server.properties, whatever the spec says. */
function platformProperties(spec: ServerSpec): [string, PropertyValue][] {
  return [
    ['server-ip', spec.bindHost === '0.0.0.0' ? '' : spec.bindHost],
    ['server-port', spec.port],
    ['max-players', spec.maxPlayers],
    // The console is reached through the supervisor's socket; no RCON or Query ports to secure.
    ['enable-rcon', false],
    ['enable-query', false],
  ];
}

export class JavaRuntime implements DistributionRuntime {
  readonly distributions = JAVA_DISTRIBUTIONS;
  private readonly store: JarStore;
  private readonly apis: Record<JavaDistribution, DistributionApi>;
  private readonly remoteVersions = new Map<JavaDistribution, { at: number; versions: string[] }>();
  private java: Promise<JavaInstallation | null> | null = null;

  constructor(private readonly options: JavaRuntimeOptions) {
    const endpoints = { ...OFFICIAL_ENDPOINTS, ...options.endpoints };
    const fetchImpl = options.fetch ?? fetch;
    this.apis = {
      paper: new PaperApi(endpoints.paper, fetchImpl),
      vanilla: new MojangApi(endpoints.mojang, fetchImpl),
      purpur: new PurpurApi(endpoints.purpur, fetchImpl),
      fabric: new FabricApi(endpoints.fabric, fetchImpl),
    };
    this.store = new JarStore({
      jarDir: options.jarDir,
      cacheDir: options.cacheDir,
      apis: this.apis,
      fetch: fetchImpl,
    });
  }

  /** The Java found at the configured path (looked up once per driver). */
  detectJava(): Promise<JavaInstallation | null> {
    this.java ??= detectJava(this.options.javaPath);
    return this.java;
  }

  async catalogue(): Promise<DistributionInfo[]> {
    const java = await this.detectJava();
    return Promise.all(
      JAVA_DISTRIBUTIONS.map(async (distribution) => {
        const [remote, local] = await Promise.all([
          this.remoteList(distribution),
          this.store.localVersions(distribution),
        ]);
        const versions = [...new Set([...remote, ...local.sort(compareVersionsDesc)])];
        const info: DistributionInfo = {
          distribution,
          versions,
          available: java !== null && versions.length > 0,
        };
        if (!java) info.reason = `Java not found at ${this.options.javaPath} (set MINEFLEET_JAVA)`;
        else if (versions.length === 0)
          info.reason = `No ${distribution} jar in MINEFLEET_JAR_DIR or the cache, and its download service is unreachable`;
        else if (!this.options.acceptEula)
          info.reason = 'The Minecraft EULA is not accepted (set MINEFLEET_ACCEPT_EULA=true)';
        if (!this.options.acceptEula) info.available = false;
        return info;
      }),
    );
  }

  async deploy(spec: ServerSpec, folder: ServerFolder, signal?: AbortSignal): Promise<void> {
    const distribution = spec.distribution as JavaDistribution;
    const java = await this.detectJava();
    if (!java) {
      throw new DomainError(
        'RUNTIME_UNAVAILABLE',
        `Java not found at ${this.options.javaPath} (install it or set MINEFLEET_JAVA)`,
        {
          java: this.options.javaPath,
        },
      );
    }
    const required = requiredJavaMajor(spec.minecraftVersion);
    if (java.major < required) {
      throw new DomainError(
        'RUNTIME_UNAVAILABLE',
        `Minecraft ${spec.minecraftVersion} needs Java ${required} or newer; ${java.path} is Java ${java.major}`,
        { required, found: java.major, java: java.path },
      );
    }
    if (!this.options.acceptEula) {
      throw new DomainError(
        'RUNTIME_UNAVAILABLE',
        'Java servers run only once the host accepts the Minecraft EULA (https://aka.ms/MinecraftEULA): set MINEFLEET_ACCEPT_EULA=true',
      );
    }
    const jar = await this.store.obtain(distribution, spec.minecraftVersion, signal);
    await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${folder.jarFile}.tmp`;
    await copyFile(jar.path, tmp);
    await rename(tmp, folder.jarFile);
    await writeFileAtomic(
      `${folder.root}/eula.txt`,
      '# Accepted by the host administrator (MINEFLEET_ACCEPT_EULA)\neula=true\n',
    );
    await mkdir(`${folder.root}/${distribution === 'fabric' ? 'mods' : 'plugins'}`, { recursive: true });
  }

  async configure(
    spec: ServerSpec,
    folder: ServerFolder,
    overrides?: StartOptions['propertyOverrides'],
  ): Promise<void> {
    // Keys the server added itself (defaults it writes on first start) are kept; ours win.
    let existing = new Map<string, string>();
    try {
      existing = parseProperties(await readFile(folder.serverProperties, 'latin1'));
    } catch {
      // first configuration
    }
    const merged = new Map<string, PropertyValue>(existing);
    for (const [key, value] of Object.entries({ ...spec.properties, ...overrides })) merged.set(key, value);
    for (const [key, value] of platformProperties(spec)) merged.set(key, value);
    if (overrides?.['max-players'] !== undefined) merged.set('max-players', overrides['max-players']);
    await writeFileAtomic(
      folder.serverProperties,
      renderProperties(merged, 'Written by Minefleet: change settings through Minefleet'),
    );
  }

  async launch(spec: ServerSpec, folder: ServerFolder, options: StartOptions): Promise<LaunchPlan> {
    const java = await this.detectJava();
    try {
      await access(folder.jarFile);
    } catch {
      throw new DomainError(
        'DISTRIBUTION_UNAVAILABLE',
        'The server jar is missing: deploy the server again',
        { serverId: spec.serverId },
      );
    }
    if (!java) throw new DomainError('RUNTIME_UNAVAILABLE', `Java not found at ${this.options.javaPath}`);
    await this.configure(spec, folder, options.propertyOverrides);
    await rm(`${folder.stateDir}/supervisor.json`, { force: true });
    await writeJsonAtomic(
      folder.launchFile,
      {
        serverId: spec.serverId,
        generation: options.generation,
        root: folder.root,
        log: this.options.log,
        command: java.path,
        args: [
          ...jvmMemoryFlags(spec.memoryMb),
          ...(await log4jFlags(spec.minecraftVersion, folder.root)),
          '-jar',
          folder.jarFile,
          'nogui',
        ],
        preStartCommands: options.preStartCommands ?? [],
        stopCommand: 'stop',
        stopTimeoutMs: 60_000,
      },
      0o600,
    );
    return {
      command: this.options.nodePath,
      args: ['--max-old-space-size=64', JAVA_SUPERVISOR, folder.launchFile],
      env: gameEnvironment(folder.root, this.options.inheritedEnv),
    };
  }

  /** A distribution's remote version list, cached, within a short wait (catalogue must stay fast offline). */
  private async remoteList(distribution: JavaDistribution): Promise<string[]> {
    const cached = this.remoteVersions.get(distribution);
    if (cached && Date.now() - cached.at < (this.options.versionsTtlMs ?? 3_600_000)) return cached.versions;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.catalogueTimeoutMs ?? 3_000);
    try {
      const versions = await this.apis[distribution].versions(controller.signal);
      this.remoteVersions.set(distribution, { at: Date.now(), versions });
      return versions;
    } catch {
      return cached?.versions ?? [];
    } finally {
      clearTimeout(timer);
    }
  }
}

function compareVersionsDesc(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
