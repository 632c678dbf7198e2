import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ConsoleView from './ConsoleView.svelte';

describe('console view', () => {
  it('keeps only the visible window of thousands of lines in the DOM, with colours applied', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => ({
      id: i + 1,
      ts: '2025-01-01T00:00:00.000Z',
      level: 'info',
      source: 'stdout',
      message: i === 4999 ? '§cthe last line' : `line ${i}`,
    }));
    render(ConsoleView, { props: { lines } });
    const output = screen.getByTestId('console-output');
    const rendered = output.querySelectorAll('.console-line');
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(200);
    // The scroll area is as tall as all lines, so the scrollbar is truthful.
    expect((output.querySelector('.console-inner') as HTMLElement).style.height).toBe(`${5000 * 20}px`);
    expect(output.getAttribute('role')).toBe('log');
  });

  it('renders colour codes as styled text, never as markup', () => {
    render(ConsoleView, {
      props: {
        lines: [
          {
            id: 1,
            ts: '2025-01-01T00:00:00.000Z',
            level: 'info',
            source: 'stdout',
            message: '§a<b>green</b>',
          },
        ],
      },
    });
    const span = screen.getByText('<b>green</b>');
    expect(span.style.color).toBe('rgb(85, 255, 85)');
    expect(screen.getByTestId('console-output').querySelector('b')).toBeNull();
  });
});
