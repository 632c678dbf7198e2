import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Mojang's published mitigation of the Log4Shell vulnerability (CVE-2021-44228) for the Minecraft
 * server versions that ship an affected log4j:
 * - 1.18.1 and later: fixed, nothing to do;
 * - 1.17 – 1.18: the JVM flag `-Dlog4j2.formatMsgNoLookups=true`;
 * - 1.7 – 1.16.5: a log4j configuration that formats messages with `%msg{nolookups}`
 *   (`-Dlog4j.configurationFile=…`), as Mojang's log4j2_17-111.xml / log4j2_112-116.xml do.
 * Versions before 1.7 do not use log4j 2.
 */
export type Log4jMitigation = 'none' | 'flag' | 'config';

function parts(version: string): number[] {
  return version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
}

function atLeast(version: string, minimum: string): boolean {
  const a = parts(version);
  const b = parts(minimum);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

export function log4jMitigation(minecraftVersion: string): Log4jMitigation {
  if (!/^1\.\d+/.test(minecraftVersion)) return 'none';
  if (atLeast(minecraftVersion, '1.18.1')) return 'none';
  if (atLeast(minecraftVersion, '1.17')) return 'flag';
  if (atLeast(minecraftVersion, '1.7')) return 'config';
  return 'none';
}

export const LOG4J_CONFIG_FILE = 'log4j2-minefleet.xml';

/** The same appenders as the vanilla server's built-in configuration, with lookups off in messages. */
const LOG4J_CONFIG = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" packages="com.mojang.util">
  <Appenders>
    <Console name="SysOut" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d{HH:mm:ss}] [%t/%level]: %msg{nolookups}%n" />
    </Console>
    <RollingRandomAccessFile name="File" fileName="logs/latest.log" filePattern="logs/%d{yyyy-MM-dd}-%i.log.gz">
      <PatternLayout pattern="[%d{HH:mm:ss}] [%t/%level]: %msg{nolookups}%n" />
      <Policies>
        <TimeBasedTriggeringPolicy />
        <OnStartupTriggeringPolicy />
      </Policies>
    </RollingRandomAccessFile>
  </Appenders>
  <Loggers>
    <Root level="info">
      <filters>
        <MarkerFilter marker="NETWORK_PACKETS" onMatch="DENY" onMismatch="NEUTRAL" />
      </filters>
      <AppenderRef ref="SysOut" />
      <AppenderRef ref="File" />
    </Root>
  </Loggers>
</Configuration>
`;

/** JVM flags for the version, writing the log4j configuration into the server folder when it needs one. */
export async function log4jFlags(minecraftVersion: string, serverRoot: string): Promise<string[]> {
  const mitigation = log4jMitigation(minecraftVersion);
  if (mitigation === 'flag') return ['-Dlog4j2.formatMsgNoLookups=true'];
  if (mitigation === 'config') {
    await writeFile(path.join(serverRoot, LOG4J_CONFIG_FILE), LOG4J_CONFIG, { mode: 0o644 });
    return [`-Dlog4j.configurationFile=${LOG4J_CONFIG_FILE}`, '-Dlog4j2.formatMsgNoLookups=true'];
  }
  return [];
}
