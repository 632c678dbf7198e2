// @ts-check
'use strict';
// Turns one raw console line into { level, message }. Plain CommonJS because it runs inside the launcher
// processes (flying-squid launcher, Java supervisor), which are spawned with node directly and never
// compiled; the driver's tests load it through createRequire.

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

// ANSI colour and cursor sequences: flying-squid colours its level tags, Paper colours whole lines.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

/** @param {string} text */
function stripAnsi(text) {
  return text.replace(ANSI, '');
}

/**
 * @param {string} word
 * @returns {string | null}
 */
function normaliseLevel(word) {
  const w = word.toLowerCase();
  if (w === 'warning') return 'warn';
  if (w === 'severe') return 'error';
  if (w === 'err') return 'error';
  return LEVELS.includes(w) ? w : null;
}

// The known shapes, most specific first. Each captures the level word and the message.
const PATTERNS = [
  // Vanilla / Fabric / Forge log4j: "[13:39:01] [Server thread/INFO]: msg" or "... [Server thread/INFO] (Minecraft) msg"
  /^\[\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\] \[[^\]/]*\/([A-Za-z]+)\](?::| \([^)]*\)) ?(.*)$/s,
  // Paper / Purpur: "[13:39:01 INFO]: msg"
  /^\[\d{1,2}:\d{2}:\d{2}(?:\.\d+)? ([A-Za-z]+)\]: ?(.*)$/s,
  // flying-squid: "November 26th 2025, 13:39:01 [INFO]: msg"
  /^[A-Z][a-z]+ \d{1,2}(?:st|nd|rd|th) \d{4}, \d{2}:\d{2}:\d{2} \[([A-Za-z]+)\]: ?(.*)$/s,
  // Bare "[INFO]: msg" / "[WARN] msg" (flying-squid start-up lines, many tools)
  /^\[([A-Za-z]+)\]:? ?(.*)$/s,
];

// Java stack trace continuation lines carry no level of their own: they belong to the line above.
const CONTINUATION = /^(?:\s+at |\s*\.\.\. \d+ more|Caused by: |\tat |\s+Suppressed: )/;

/**
 * Parses a console line. `fallback` is the level for a line with no recognisable level (by stream);
 * `previous` is the level of the previous line of the same stream, inherited by stack-trace lines.
 * @param {string} raw
 * @param {string} fallback
 * @param {string | null} [previous]
 * @returns {{ level: string, message: string }}
 */
function parseLine(raw, fallback, previous) {
  const text = stripAnsi(raw).replace(/\r$/, '');
  for (const pattern of PATTERNS) {
    const m = pattern.exec(text);
    if (m) {
      const level = normaliseLevel(m[1] ?? '');
      if (level) return { level, message: m[2] ?? '' };
    }
  }
  if (previous && CONTINUATION.test(text)) return { level: previous, message: text };
  return { level: fallback, message: text };
}

module.exports = { LEVELS, stripAnsi, parseLine };
