import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { PropertySpec } from '../lib/validation.js';
import SettingsEditor from './SettingsEditor.svelte';

const CATALOGUE: PropertySpec[] = [
  {
    key: 'difficulty',
    type: 'enum',
    default: 'easy',
    values: ['peaceful', 'easy', 'normal', 'hard'],
    description: 'Game difficulty.',
    applies: 'live',
  },
  {
    key: 'motd',
    type: 'string',
    default: 'A Minefleet server',
    max_length: 20,
    description: 'Message shown in the server list.',
    applies: 'on_restart',
  },
  {
    key: 'pvp',
    type: 'boolean',
    default: true,
    description: 'Players can hurt each other.',
    applies: 'on_restart',
  },
  {
    key: 'view-distance',
    type: 'integer',
    default: 10,
    min: 2,
    max: 32,
    description: 'Chunks sent to players.',
    applies: 'on_restart',
  },
];

function setup(onsave = vi.fn(async () => true)) {
  render(SettingsEditor, {
    props: { catalogue: CATALOGUE, properties: { motd: 'Hello', pvp: true }, maxPlayers: 10, onsave },
  });
  return { onsave, user: userEvent.setup() };
}

describe('settings editor', () => {
  it('renders each property with its type, help, default and live/on-restart badge', () => {
    setup();
    expect((screen.getByLabelText('motd') as HTMLInputElement).value).toBe('Hello');
    expect((screen.getByLabelText('difficulty') as HTMLSelectElement).value).toBe('easy');
    expect((screen.getByRole('switch', { name: 'pvp' }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('view-distance') as HTMLInputElement).value).toBe('10');
    const difficulty = screen.getByTestId('setting-difficulty');
    expect(within(difficulty).getByText('live')).toBeTruthy();
    expect(within(screen.getByTestId('setting-motd')).getByText('on restart')).toBeTruthy();
    expect(
      within(screen.getByTestId('setting-view-distance')).getByText(/Chunks sent to players\. \(2–32\)/),
    ).toBeTruthy();
    expect(within(screen.getByTestId('setting-motd')).getByText('Default: A Minefleet server')).toBeTruthy();
  });

  it('refuses out-of-range values as you type and keeps Save disabled until they are fixed', async () => {
    const { user, onsave } = setup();
    const save = screen.getByRole('button', { name: 'Save changes' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    const distance = screen.getByLabelText('view-distance');
    await user.clear(distance);
    await user.type(distance, '64');
    expect(screen.getByText('At most 32.')).toBeTruthy();
    expect(distance.getAttribute('aria-invalid')).toBe('true');
    expect(save.disabled).toBe(true);
    await user.clear(distance);
    await user.type(distance, '12');
    expect(save.disabled).toBe(false);
    expect(onsave).not.toHaveBeenCalled();
  });

  it('sends only what changed, with the right types', async () => {
    const { user, onsave } = setup();
    await user.selectOptions(screen.getByLabelText('difficulty'), 'hard');
    await user.click(screen.getByRole('switch', { name: 'pvp' }));
    await user.clear(screen.getByLabelText('view-distance'));
    await user.type(screen.getByLabelText('view-distance'), '16');
    await user.clear(screen.getByLabelText('max-players'));
    await user.type(screen.getByLabelText('max-players'), '20');
    expect(screen.getByText('4 unsaved change(s)')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(onsave).toHaveBeenCalledWith({
      server_properties: { difficulty: 'hard', pvp: false, 'view-distance': 16 },
      max_players: 20,
    });
  });

  it('keeps unsaved edits when the server is re-read with the same settings, resets on a real change', async () => {
    const onsave = vi.fn(async () => true);
    const props = { catalogue: CATALOGUE, properties: { motd: 'Hello', pvp: true }, maxPlayers: 10, onsave };
    const { rerender } = render(SettingsEditor, { props });
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('motd'));
    await user.type(screen.getByLabelText('motd'), 'Typing…');
    await rerender({ ...props, properties: { motd: 'Hello', pvp: true } });
    expect((screen.getByLabelText('motd') as HTMLInputElement).value).toBe('Typing…');
    await rerender({ ...props, properties: { motd: 'Changed elsewhere', pvp: true } });
    expect((screen.getByLabelText('motd') as HTMLInputElement).value).toBe('Changed elsewhere');
  });

  it('filters settings by name or description and can discard edits', async () => {
    const { user } = setup();
    await user.type(screen.getByLabelText('Find a setting'), 'hurt');
    expect(screen.queryByLabelText('motd')).toBeNull();
    expect(screen.getByRole('switch', { name: 'pvp' })).toBeTruthy();
    await user.clear(screen.getByLabelText('Find a setting'));
    await user.clear(screen.getByLabelText('motd'));
    await user.type(screen.getByLabelText('motd'), 'Changed');
    await user.click(screen.getByRole('button', { name: 'Discard' }));
    expect((screen.getByLabelText('motd') as HTMLInputElement).value).toBe('Hello');
  });
});
