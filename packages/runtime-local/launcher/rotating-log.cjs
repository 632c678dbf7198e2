// @ts-check
'use strict';
// The console host's files: the rotated JSON-lines console log and the atomically written JSON files
// (process.json, exit.json). Plain CommonJS run by node directly, like the rest of the launcher.

const fs = require('node:fs');
const path = require('node:path');

const LOG_FILE = 'console.jsonl';

/**
 * @param {string} file
 * @param {unknown} value
 * @param {number} [mode]
 */
function writeJsonAtomic(file, value, mode = 0o644) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  fs.renameSync(tmp, file);
}

/** Append-only log split into files of at most maxBytes, keeping maxFiles of them (newest: console.jsonl). */
class RotatingLog {
  /**
   * @param {string} dir
   * @param {number} maxBytes
   * @param {number} maxFiles
   */
  constructor(dir, maxBytes, maxFiles) {
    this.dir = dir;
    /** @type {number} */
    this.fd = -1;
    /** @type {number} */
    this.size = 0;
    this.maxBytes = maxBytes;
    this.maxFiles = Math.max(1, maxFiles);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.open();
    if (this.size >= this.maxBytes) this.rotate();
  }

  open() {
    this.fd = fs.openSync(path.join(this.dir, LOG_FILE), 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  rotate() {
    fs.closeSync(this.fd);
    const name = (/** @type {number} */ i) => path.join(this.dir, i === 0 ? LOG_FILE : `console.${i}.jsonl`);
    fs.rmSync(name(this.maxFiles - 1), { force: true });
    for (let i = this.maxFiles - 2; i >= 0; i--) {
      if (fs.existsSync(name(i))) fs.renameSync(name(i), name(i + 1));
    }
    this.open();
  }

  /** @param {Record<string, unknown>} record one console line */
  append(record) {
    const data = JSON.stringify(record) + '\n';
    const bytes = Buffer.byteLength(data);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    // Synchronous on purpose: lines stay in order and are on disk even if the process dies next.
    fs.writeSync(this.fd, data);
    this.size += bytes;
  }
}

module.exports = { RotatingLog, writeJsonAtomic };
