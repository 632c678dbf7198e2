import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProperties, renderProperties } from './properties-file.js';

const run = promisify(execFile);

/** Values a user could put in a MOTD (or any text property) to try to smuggle in another key. */
const HOSTILE: [string, string][] = [
  ['newline then key', 'Hello\nenable-rcon=true'],
  ['CRLF then key', 'Hello\r\nrcon.password=hunter2'],
  ['CR then key', 'Hello\rserver-port=1'],
  ['starts with =', '=online-mode=false'],
  ['starts with :', ':white-list=false'],
  ['starts with #', '#not a comment'],
  ['starts with !', '!not a comment either'],
  ['backslash', 'C:\\Users\\steve'],
  ['trailing backslash (line continuation)', 'continue\\'],
  ['backslash newline', 'a\\\nenable-rcon=true'],
  ['literal \\n text', 'x\\nenable-rcon=true'],
  ['literal \\u escape text', '\\u0041 is not A'],
  ['leading blanks', '   three spaces'],
  ['trailing blank', 'ends with a space '],
  ['only a space', ' '],
  ['empty', ''],
  ['tab and form feed', 'tab\there\fform feed'],
  ['separators inside', 'key = value : more'],
  ['latin-1', 'é ü ñ ß'],
  ['CJK', '日本語のサーバー'],
  ['astral (surrogate pair)', 'fun 😀 times'],
  ['unicode line separators', 'a\u2028b\u2029c\u0085d'],
  ['NUL and ESC', 'nul\u0000esc\u001b[31mred'],
  ['colour codes', '§aGreen §lBold'],
  ['many lines', 'l1\nl2\nl3=x\n\nl5:y'],
];

describe('server.properties writing', () => {
  it.each(HOSTILE)('a value with %s stays one value of one key', (_name, payload) => {
    const text = renderProperties([
      ['motd', payload],
      ['sentinel', 'ok'],
    ]);
    // One physical line per key: nothing the value holds can start another line.
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(2);
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    const parsed = parseProperties(text);
    expect([...parsed.keys()]).toEqual(['motd', 'sentinel']);
    expect(parsed.get('motd')).toBe(payload);
  });

  it('escapes keys too, and writes numbers and booleans plainly', () => {
    const text = renderProperties([
      ['odd key=:#!', 'v'],
      ['max-players', 20],
      ['pvp', false],
    ]);
    expect(text).toBe('odd\\ key\\=\\:\\#\\!=v\nmax-players=20\npvp=false\n');
    expect([...parseProperties(text).entries()]).toEqual([
      ['odd key=:#!', 'v'],
      ['max-players', '20'],
      ['pvp', 'false'],
    ]);
  });

  it('keeps the comment on its own line', () => {
    const text = renderProperties([['a', 'b']], 'first\nevil=1');
    expect([...parseProperties(text).keys()]).toEqual(['a']);
  });

  it('parses what Java writes and reads: continuation lines, comments, separators', () => {
    const parsed = parseProperties('# c\n! c\n  a = 1\nb:2\nc 3\nd=multi\\\n   line\ne\n');
    expect(Object.fromEntries(parsed)).toEqual({ a: '1', b: '2', c: '3', d: 'multiline', e: '' });
  });
});

// The same table read back by java.util.Properties itself, both ways Minecraft has read server.properties
// (ISO-8859-1 stream, and a UTF-8 reader). Skipped only when no JDK is installed here.
const javac = await run('javac', ['-version']).then(
  () => true,
  () => false,
);

describe.runIf(javac)('server.properties as java.util.Properties reads it', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-props-'));
    await writeFile(
      path.join(dir, 'PropsDump.java'),
      `import java.io.*; import java.nio.charset.StandardCharsets; import java.util.*;
public class PropsDump {
  public static void main(String[] args) throws Exception {
    for (String file : args) {
      Properties latin = new Properties();
      try (InputStream in = new FileInputStream(file)) { latin.load(in); }
      Properties utf8 = new Properties();
      try (Reader in = new InputStreamReader(new FileInputStream(file), StandardCharsets.UTF_8)) { utf8.load(in); }
      System.out.println(json(latin) + "\\t" + json(utf8));
    }
  }
  static String json(Properties p) {
    StringBuilder b = new StringBuilder("{"); boolean first = true;
    for (String k : new TreeSet<>(p.stringPropertyNames())) {
      if (!first) b.append(','); first = false;
      b.append(q(k)).append(':').append(q(p.getProperty(k)));
    }
    return b.append('}').toString();
  }
  static String q(String s) {
    StringBuilder b = new StringBuilder("\\"");
    for (char c : s.toCharArray()) b.append(String.format("\\\\u%04x", (int) c));
    return b.append('"').toString();
  }
}
`,
    );
    await run('javac', ['-d', dir, path.join(dir, 'PropsDump.java')]);
  }, 60_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every hostile value back unchanged, with no extra key', async () => {
    const files: string[] = [];
    for (const [i, [, payload]] of HOSTILE.entries()) {
      const file = path.join(dir, `case-${i}.properties`);
      await writeFile(
        file,
        renderProperties([
          ['motd', payload],
          ['sentinel', 'ok'],
        ]),
      );
      files.push(file);
    }
    const { stdout } = await run('java', ['-cp', dir, 'PropsDump', ...files]);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(HOSTILE.length);
    for (const [i, line] of lines.entries()) {
      const [latin, utf8] = line.split('\t').map((part) => JSON.parse(part) as Record<string, string>);
      const expected = { motd: HOSTILE[i]![1], sentinel: 'ok' };
      expect(latin, HOSTILE[i]![0]).toEqual(expected);
      expect(utf8, HOSTILE[i]![0]).toEqual(expected);
    }
  }, 60_000);
});
