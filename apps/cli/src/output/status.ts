import type { Style } from './style.js';

/** A server status coloured by what it means: green running, red failed/crashed, yellow in between. */
export function styleStatus(status: string, style: Style): (text: string) => string {
  switch (status) {
    case 'running':
      return style.green;
    case 'failed':
    case 'crashed':
      return style.red;
    case 'stopped':
    case 'sleeping':
    case 'frozen':
      return style.dim;
    default:
      return style.yellow;
  }
}
