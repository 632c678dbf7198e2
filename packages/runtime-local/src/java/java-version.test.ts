import { describe, expect, it } from 'vitest';
import { detectJava, jvmMemoryFlags, parseJavaVersion, requiredJavaMajor } from './java-version.js';

describe('Java requirements', () => {
  it.each([
    ['1.21.4', 21],
    ['1.21', 21],
    ['1.20.6', 21],
    ['1.20.5', 21],
    ['1.20.4', 17],
    ['1.20', 17],
    ['1.18', 17],
    ['1.17.1', 16],
    ['1.16.5', 8],
    ['1.8.8', 8],
  ] as const)('Minecraft %s needs Java %i', (version, major) => {
    expect(requiredJavaMajor(version)).toBe(major);
  });

  it('reads the major version from java -version', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15')).toEqual({
      major: 17,
      version: '17.0.15',
    });
    expect(parseJavaVersion('java version "1.8.0_392"')).toEqual({ major: 8, version: '1.8.0_392' });
    expect(parseJavaVersion('openjdk version "21" 2023-09-19')).toEqual({ major: 21, version: '21' });
    expect(parseJavaVersion('bash: java: not found')).toBeNull();
  });

  it('detects the installed Java, and reports a missing one as null', async () => {
    const java = await detectJava('java');
    expect(java === null || java.major >= 8).toBe(true);
    expect(await detectJava('/nonexistent/java')).toBeNull();
  });

  it('sizes the heap from the plan with headroom', () => {
    expect(jvmMemoryFlags(4096).slice(0, 2)).toEqual(['-Xms3482M', '-Xmx3482M']);
    expect(jvmMemoryFlags(1024).slice(0, 2)).toEqual(['-Xms768M', '-Xmx768M']);
    expect(jvmMemoryFlags(300).slice(0, 2)).toEqual(['-Xms256M', '-Xmx256M']);
  });
});
