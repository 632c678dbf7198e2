import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupConfigError, backupStoreSettings, loadBackupConfig } from './backup-config.js';

const dataDir = '/var/lib/minefleet';

describe('the backup store from the environment', () => {
  it('defaults to a local folder under the data folder', () => {
    expect(backupStoreSettings({}, dataDir)).toEqual({
      kind: 'local',
      dir: path.join(dataDir, 'backups'),
    });
    expect(loadBackupConfig({}, dataDir).store).toEqual(backupStoreSettings({}, dataDir));
  });

  it('uses MINEFLEET_BACKUP_DIR when set, ignoring blank values', () => {
    expect(backupStoreSettings({ MINEFLEET_BACKUP_DIR: '/srv/backups' }, dataDir)).toEqual({
      kind: 'local',
      dir: '/srv/backups',
    });
    expect(backupStoreSettings({ MINEFLEET_S3_BUCKET: '  ' }, dataDir).kind).toBe('local');
  });

  it('selects S3 when a bucket is set, with the SDK credential chain when no keys are given', () => {
    expect(
      backupStoreSettings({ MINEFLEET_S3_BUCKET: 'b', MINEFLEET_S3_REGION: 'eu-west-1' }, dataDir),
    ).toEqual({ kind: 's3', bucket: 'b', prefix: '', region: 'eu-west-1', forcePathStyle: false });
  });

  it('reads every S3 variable: a prefix gets its slash, a custom endpoint path style', () => {
    expect(
      backupStoreSettings(
        {
          MINEFLEET_S3_BUCKET: 'minefleet-test',
          MINEFLEET_S3_ENDPOINT: 'http://127.0.0.1:9000',
          MINEFLEET_S3_PREFIX: 'from-env',
          MINEFLEET_S3_ACCESS_KEY_ID: 'S3RVER',
          MINEFLEET_S3_SECRET_ACCESS_KEY: 'S3RVER',
        },
        dataDir,
      ),
    ).toEqual({
      kind: 's3',
      bucket: 'minefleet-test',
      prefix: 'from-env/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    expect(
      backupStoreSettings(
        {
          MINEFLEET_S3_BUCKET: 'b',
          MINEFLEET_S3_ENDPOINT: 'https://s3.example',
          MINEFLEET_S3_FORCE_PATH_STYLE: 'FALSE',
          MINEFLEET_S3_TIMEOUT_SECONDS: '5',
        },
        dataDir,
      ),
    ).toMatchObject({
      kind: 's3',
      endpoint: 'https://s3.example',
      forcePathStyle: false,
      idleTimeoutMs: 5000,
    });
  });

  it.each([
    [
      'only the access key id',
      { MINEFLEET_S3_ACCESS_KEY_ID: 'id' },
      'MINEFLEET_S3_ACCESS_KEY_ID and MINEFLEET_S3_SECRET_ACCESS_KEY must be set together',
    ],
    [
      'only the secret',
      { MINEFLEET_S3_SECRET_ACCESS_KEY: 'secret' },
      'MINEFLEET_S3_ACCESS_KEY_ID and MINEFLEET_S3_SECRET_ACCESS_KEY must be set together',
    ],
    [
      'an endpoint that is not a URL',
      { MINEFLEET_S3_ENDPOINT: 'minio:9000' },
      'MINEFLEET_S3_ENDPOINT must be an http:// or https:// URL',
    ],
    [
      'a path-style flag that is not a boolean',
      { MINEFLEET_S3_FORCE_PATH_STYLE: 'yes please' },
      'MINEFLEET_S3_FORCE_PATH_STYLE must be true or false',
    ],
    [
      'a timeout that is not a whole number of seconds',
      { MINEFLEET_S3_TIMEOUT_SECONDS: '0.5' },
      'MINEFLEET_S3_TIMEOUT_SECONDS must be a whole number from 1 to 3600 (got "0.5")',
    ],
    ['a prefix with a dot segment', { MINEFLEET_S3_PREFIX: '../other' }, 'Invalid backup key prefix'],
  ])('refuses %s at start, naming the problem', (_label, extra, message) => {
    const load = () => loadBackupConfig({ MINEFLEET_S3_BUCKET: 'b', ...extra }, dataDir);
    expect(load).toThrow(BackupConfigError);
    expect(load).toThrow(message);
  });
});
