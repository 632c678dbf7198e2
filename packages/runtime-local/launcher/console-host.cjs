// @ts-check
'use strict';
// The console host: what a game process needs so that it can outlive the control plane that started it.
// Shared by the flying-squid launcher and the Java supervisor. It
//  - stamps every console line with a time, a parsed level and a source, and appends it to a rotated
//    JSON-lines log in <root>/.minefleet/logs (the process writes its own log, so nothing is lost while
//    no control plane is attached);
//  - serves a unix socket <root>/.minefleet/console.sock speaking newline-delimited JSON, through which
//    any control plane (the one that spawned it, or a later one that adopted it) sends commands and
//    receives the live console;
//  - writes <root>/.minefleet/process.json (who it is, so an adopter can check a pid is still ours) and,
//    when it ends on its own terms, exit.json (how it ended: an adopter is not the parent and cannot
//    read the exit code otherwise).
// Plain CommonJS, run by node directly: it must not depend on the build.

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { parseLine } = require('./log-format.cjs');
const { RotatingLog, writeJsonAtomic } = require('./rotating-log.cjs');

const STATE_DIR = '.minefleet';
/** Lines queued for one slow subscriber before the oldest are dropped (the producer never waits). */
const SUBSCRIBER_QUEUE_LIMIT = 2000;
/** A request line longer than this closes the connection: nothing legitimate is that long. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** Lines kept in memory for a subscriber that asks for a replay. */
const RECENT_LIMIT = 1000;

/** @typedef {'stdout' | 'stderr'} StdStream */
/** One console line as stored in the log and sent to subscribers. */
/** @typedef {{ ts: string, level: string, source: string, message: string }} LogRecord */
/** A connected console client that asked for the live lines. */
/** @typedef {{ send(data: string): void }} Subscriber */
/** @typedef {(value: Record<string, unknown>) => void} Reply */
/**
 * A request line of the console socket, as parsed from JSON (any field may be missing or mistyped).
 * @typedef {{ id?: unknown, op?: unknown, replay?: unknown, line?: unknown, level?: unknown, message?: unknown }} ConsoleRequest
 */
/**
 * A player connected right now, as the `players` op answers: `ping` is the connection's round trip in ms,
 * null while the game has not measured it.
 * @typedef {{ name: string, uuid: string, ping: number | null }} OnlinePlayer
 */
/** @typedef {() => OnlinePlayer[] | Promise<OnlinePlayer[]>} PlayersProvider */
/** @typedef {ReturnType<typeof createConsoleHost>} ConsoleHost */

/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * @param {object} options
 * @param {string} options.root server folder (the process's working directory)
 * @param {string} options.serverId
 * @param {number} options.generation
 * @param {string} options.kind 'flying-squid' | 'java'
 * @param {{maxBytes:number,maxFiles:number}} options.log
 * @param {RegExp} [options.readyLine] a line of the game's stdout that says it admits players (Java's
 *   `Done (3.2s)!`); without it the launcher says so itself (markReady)
 */
function createConsoleHost(options) {
  const stateDir = path.join(options.root, STATE_DIR);
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const socketPath = path.join(STATE_DIR, 'console.sock'); // relative: cwd is the root, and unix paths are short
  const log = new RotatingLog(path.join(stateDir, 'logs'), options.log.maxBytes, options.log.maxFiles);
  const startedAt = new Date();
  /** @type {Set<Subscriber>} */
  const subscribers = new Set();
  // The newest lines, replayed to the driver that spawned the process: it attaches only after the
  // server finished loading (the load blocks the event loop), and must still see every line as an event.
  /** @type {LogRecord[]} */
  const recent = [];
  /** @type {Record<StdStream, string>} */
  const pending = { stdout: '', stderr: '' };
  /** @type {Record<StdStream, string | null>} */
  const previousLevel = { stdout: null, stderr: null };
  /** @type {(line: string) => void} */
  let commandHandler = () => {};
  /** @type {() => Record<string, unknown> | Promise<Record<string, unknown>>} */
  let statsProvider = () => ({});
  /** @type {PlayersProvider | null} null until the game says who is online */
  let playersProvider = null;
  /** @type {net.Server | null} */
  let server = null;
  // Whether the game admits players: it has loaded (plugins and pre-start commands included) and said so.
  // It answers server-list pings before that, so the platform calls it running only once this is true.
  let ready = false;

  // The host's absolute path of the server folder says where the platform keeps its data (and names
  // other tenants' neighbourhood): tenants see paths relative to their folder instead.
  const rootPattern = new RegExp(escapeRegExp(path.resolve(options.root)) + '(?=/|\\b|$)', 'g');

  /** @param {LogRecord} record */
  function publish(record) {
    if (typeof record.message === 'string' && record.message.includes(options.root)) {
      record = { ...record, message: record.message.replace(rootPattern, '.') };
    }
    log.append(record);
    recent.push(record);
    if (recent.length > RECENT_LIMIT) recent.shift();
    const data = JSON.stringify({ type: 'line', line: record }) + '\n';
    for (const sub of subscribers) sub.send(data);
  }

  /** Records a line whose level is known (the launcher's own messages, commands, platform notes). */
  /**
   * @param {string} level
   * @param {string} source
   * @param {unknown} message
   */
  function record(level, source, message) {
    for (const part of String(message).split(/\r?\n/)) {
      publish({ ts: new Date().toISOString(), level, source, message: part });
    }
  }

  /** Records raw output of the game: split into lines, level parsed from the line's format. */
  /**
   * @param {StdStream} stream
   * @param {string | Uint8Array} chunk
   */
  function output(stream, chunk) {
    const text = pending[stream] + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const lines = text.split('\n');
    pending[stream] = lines.pop() ?? '';
    // A line without an end for 1 MiB is flushed anyway so memory stays bounded.
    if (pending[stream].length > 1024 * 1024) {
      lines.push(pending[stream]);
      pending[stream] = '';
    }
    for (const line of lines) outputLine(stream, line);
  }

  /**
   * @param {StdStream} stream
   * @param {string} line
   */
  function outputLine(stream, line) {
    const { level, message } = parseLine(line, stream === 'stderr' ? 'warn' : 'info', previousLevel[stream]);
    if (message.trim() === '' || /^>\s*$/.test(message)) return; // blank lines and bare readline prompts
    previousLevel[stream] = level;
    if (!ready && stream === 'stdout' && options.readyLine?.test(message)) ready = true;
    publish({ ts: new Date().toISOString(), level, source: stream, message });
  }

  function flushPartial() {
    for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
      if (pending[stream]) outputLine(stream, pending[stream]);
      pending[stream] = '';
    }
  }

  function hello() {
    return {
      type: 'hello',
      serverId: options.serverId,
      generation: options.generation,
      pid: process.pid,
      kind: options.kind,
      startedAt: startedAt.toISOString(),
      ready,
    };
  }

  /** @param {net.Socket} socket */
  function onConnection(socket) {
    let buffer = '';
    /** @type {string[]} */
    const queue = [];
    /** @type {Subscriber} */
    const sub = {
      send(data) {
        if (socket.destroyed) return;
        if (socket.writableNeedDrain || queue.length > 0) {
          queue.push(data);
          if (queue.length > SUBSCRIBER_QUEUE_LIMIT) queue.shift(); // drop the oldest, never block
          return;
        }
        socket.write(data);
      },
    };
    socket.on('drain', () => {
      while (queue.length > 0 && !socket.writableNeedDrain)
        socket.write(/** @type {string} */ (queue.shift()));
    });
    /** @type {Reply} */
    const reply = (value) => {
      if (!socket.destroyed) socket.write(JSON.stringify(value) + '\n');
    };
    socket.setEncoding('utf8');
    socket.on('data', (/** @type {string} */ chunk) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES && !buffer.includes('\n')) {
        socket.destroy();
        return;
      }
      let index;
      while ((index = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, index);
        buffer = buffer.slice(index + 1);
        /** @type {ConsoleRequest} */
        let request;
        try {
          request = JSON.parse(text);
        } catch {
          reply({ type: 'error', message: 'invalid JSON' });
          continue;
        }
        handle(request, reply, sub);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => subscribers.delete(sub));
  }

  /**
   * @param {ConsoleRequest} request
   * @param {Reply} reply
   * @param {Subscriber} sub
   */
  function handle(request, reply, sub) {
    const id = request.id;
    switch (request.op) {
      case 'hello':
        reply({ ...hello(), id });
        break;
      case 'subscribe':
        if (request.replay === true) {
          for (const line of recent) sub.send(JSON.stringify({ type: 'line', line }) + '\n');
        }
        subscribers.add(sub);
        reply({ type: 'subscribed', id });
        break;
      case 'command': {
        // One command is one line: a newline inside would smuggle a second command past the caller.
        if (typeof request.line !== 'string' || /[\r\n]/.test(request.line) || request.line.length > 32767) {
          reply({ type: 'error', id, message: 'a command is one line of at most 32767 characters' });
          break;
        }
        record('info', 'command', request.line);
        try {
          commandHandler(request.line);
          reply({ type: 'ack', id });
        } catch (err) {
          const message = err && /** @type {{ message?: unknown }} */ (err).message;
          record('error', 'platform', `command failed: ${message}`);
          reply({ type: 'error', id, message: String(message) });
        }
        break;
      }
      case 'log':
        record(
          typeof request.level === 'string' &&
            ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(request.level)
            ? request.level
            : 'info',
          'platform',
          String(request.message ?? ''),
        );
        reply({ type: 'ack', id });
        break;
      case 'stats':
        Promise.resolve()
          .then(() => statsProvider())
          .then(
            (stats) => reply({ type: 'stats', id, ...stats }),
            () => reply({ type: 'stats', id }),
          );
        break;
      case 'players':
        // Who is connected right now, with the round trip of each connection, where the game says it.
        Promise.resolve()
          .then(() => (playersProvider ? playersProvider() : null))
          .then(
            (players) => reply({ type: 'players', id, players }),
            () => reply({ type: 'players', id, players: null }),
          );
        break;
      default:
        reply({ type: 'error', id, message: 'unknown op' });
    }
  }

  async function listen() {
    fs.rmSync(path.join(options.root, socketPath), { force: true }); // a stale socket of a dead process
    const listening = net.createServer(onConnection);
    server = listening;
    await /** @type {Promise<void>} */ (
      new Promise((resolve, reject) => {
        listening.once('error', reject);
        // Only the owner may talk to the console: it runs any command on the server.
        const previous = process.umask(0o177);
        listening.listen(socketPath, () => {
          process.umask(previous);
          resolve();
        });
      })
    );
    writeJsonAtomic(
      path.join(stateDir, 'process.json'),
      {
        pid: process.pid,
        generation: options.generation,
        serverId: options.serverId,
        kind: options.kind,
        startedAt: startedAt.toISOString(),
      },
      0o600,
    );
    fs.rmSync(path.join(stateDir, 'exit.json'), { force: true });
  }

  /** Last words: how the process ended, for an adopter that cannot wait() on it. */
  /**
   * @param {number | null} code
   * @param {string | null} [signal]
   */
  function writeExit(code, signal) {
    flushPartial();
    try {
      writeJsonAtomic(
        path.join(stateDir, 'exit.json'),
        {
          code,
          signal: signal ?? null,
          at: new Date().toISOString(),
          generation: options.generation,
          pid: process.pid,
        },
        0o600,
      );
    } catch {
      /* the folder may be gone (server removed) */
    }
    try {
      server?.close();
    } catch {
      /* already closed */
    }
    try {
      fs.rmSync(path.join(options.root, socketPath), { force: true });
    } catch {
      /* the folder may be gone */
    }
  }

  return {
    record,
    output,
    listen,
    writeExit,
    /** @param {(line: string) => void} fn */
    onCommand(fn) {
      commandHandler = fn;
    },
    /** @param {() => Record<string, unknown> | Promise<Record<string, unknown>>} fn */
    onStats(fn) {
      statsProvider = fn;
    },
    /** @param {PlayersProvider} fn */
    onPlayers(fn) {
      playersProvider = fn;
    },
    /** The game admits players from now on (`hello` says `ready: true`). */
    markReady() {
      ready = true;
    },
    startedAt,
  };
}

/** Sends everything the process prints through the host (and nowhere else: stdout is not a terminal). */
/** @param {ConsoleHost} host */
function captureStdio(host) {
  for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
    const target = process[stream];
    target.write = /** @type {typeof target.write} */ (
      /**
       * @param {string | Uint8Array} chunk
       * @param {unknown} [encoding]
       * @param {unknown} [callback]
       */
      function (chunk, encoding, callback) {
        if (typeof encoding === 'function') callback = encoding;
        try {
          host.output(stream, chunk);
        } catch {
          /* printing must never throw into the caller */
        }
        if (typeof callback === 'function') process.nextTick(/** @type {() => void} */ (callback));
        return true;
      }
    );
  }
}

module.exports = { createConsoleHost, captureStdio, writeJsonAtomic, STATE_DIR };
