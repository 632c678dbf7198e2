import { render } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { HIGHLIGHT_MAX_CHARS, syntaxOf } from '../../../lib/features/syntax.js';
import CodeArea from './CodeArea.svelte';

/**
 * The editor's text area with highlighting behind it: the highlighter (loaded on first use) paints the
 * tokens of the formats it knows, repaints as the text changes, and leaves other files and very large
 * ones plain. FileEditor's save path (ETag, 412, history) is FilesTab.test.ts's and the browser test's.
 */
function mount(path: string, value: string) {
  const props = $state({ id: 'content', path, value });
  const { container } = render(CodeArea, { props });
  return { container, props, area: container.querySelector('textarea')! };
}

describe('code area', () => {
  it('knows the formats of server files by their names', () => {
    expect(
      [
        'server.properties',
        'config.yml',
        'a.yaml',
        'velocity.toml',
        'ops.json',
        'pack.mcmeta',
        'logs/latest.log',
        'motd.txt',
        'Makefile',
      ].map(syntaxOf),
    ).toEqual(['properties', 'yaml', 'yaml', 'toml', 'json', 'json', 'log', undefined, undefined]);
  });

  it('highlights a .properties file and repaints as it is edited, the text area keeping the text', async () => {
    const { container, props, area } = mount('server.properties', '# A comment\nmotd=Hello\n');
    await expect.poll(() => container.querySelector('.hljs-attr')?.textContent).toBe('motd');
    expect(container.querySelector('.hljs-comment')?.textContent).toBe('# A comment');
    expect(container.querySelector('pre')?.getAttribute('aria-hidden')).toBe('true');
    await userEvent.type(area, 'pvp=true');
    expect(props.value).toBe('# A comment\nmotd=Hello\npvp=true');
    await expect
      .poll(() => [...container.querySelectorAll('.hljs-attr')].map((e) => e.textContent))
      .toEqual(['motd', 'pvp']);
  });

  it('marks log levels, and leaves unknown formats and very large files plain', async () => {
    const log = mount(
      'logs/latest.log',
      '[12:00:01] [Server thread/ERROR]: Boom\n[12:00:02] [Server thread/WARN]: Hm\n',
    );
    await expect.poll(() => log.container.querySelector('.hljs-error')?.textContent).toBe('ERROR');
    expect(log.container.querySelector('.hljs-warning')?.textContent).toBe('WARN');
    expect(log.container.querySelector('.hljs-meta')?.textContent).toBe('[12:00:01]');

    const text = mount('motd.txt', 'motd=not highlighted');
    const big = mount('big.yml', `key: value\n${'#'.repeat(HIGHLIGHT_MAX_CHARS)}`);
    // The small YAML file's highlighter has loaded by the time this one would have.
    const small = mount('small.yml', 'key: value\n');
    await expect.poll(() => small.container.querySelector('.hljs-attr')?.textContent).toBe('key:');
    expect(text.container.querySelector('pre')).toBeNull();
    expect(big.container.querySelector('pre')).toBeNull();
    expect(big.area.value.length).toBeGreaterThan(HIGHLIGHT_MAX_CHARS);
  });
});
