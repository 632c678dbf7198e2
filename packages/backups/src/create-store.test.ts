import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBackupStore } from './local-store.js';
import { S3BackupStore } from './s3-store.js';
import { backupStoreFromEnv } from './store-from-env.js';

const defaults = { dataDir: '/var/lib/minefleet' };

describe('backupStoreFromEnv', () => {
  it('defaults to a local folder under the data folder', () => {
    const store = backupStoreFromEnv({}, defaults);
    expect(store).toBeInstanceOf(LocalBackupStore);
    expect(store.kind).toBe('local');
  });

  it('uses MINEFLEET_BACKUP_DIR when set, ignoring blank values', () => {
    expect(backupStoreFromEnv({ MINEFLEET_BACKUP_DIR: '/srv/backups' }, defaults)).toBeInstanceOf(
      LocalBackupStore,
    );
    expect(backupStoreFromEnv({ MINEFLEET_S3_BUCKET: '  ' }, defaults)).toBeInstanceOf(LocalBackupStore);
    expect(path.isAbsolute(defaults.dataDir)).toBe(true);
  });

  it('selects S3 when a bucket is set, with the SDK credential chain when no keys are given', () => {
    const store = backupStoreFromEnv(
      { MINEFLEET_S3_BUCKET: 'b', MINEFLEET_S3_REGION: 'eu-west-1' },
      defaults,
    );
    expect(store).toBeInstanceOf(S3BackupStore);
    (store as S3BackupStore).destroy();
  });

  it.each([
    ['only the access key id', { MINEFLEET_S3_ACCESS_KEY_ID: 'id' }],
    ['only the secret', { MINEFLEET_S3_SECRET_ACCESS_KEY: 'secret' }],
    ['an endpoint that is not a URL', { MINEFLEET_S3_ENDPOINT: 'minio:9000' }],
    ['a path-style flag that is not a boolean', { MINEFLEET_S3_FORCE_PATH_STYLE: 'yes please' }],
    ['a prefix with a dot segment', { MINEFLEET_S3_PREFIX: '../other' }],
  ])('refuses %s with VALIDATION_FAILED', (_label, extra) => {
    expect(() => backupStoreFromEnv({ MINEFLEET_S3_BUCKET: 'b', ...extra }, defaults)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }) as unknown,
    );
  });
});
