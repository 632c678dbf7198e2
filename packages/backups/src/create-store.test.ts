import { describe, expect, it } from 'vitest';
import { createBackupStore } from './create-store.js';
import { LocalBackupStore } from './local-store.js';
import { S3BackupStore } from './s3-store.js';

describe('createBackupStore', () => {
  it('builds a local folder store', () => {
    const store = createBackupStore({ kind: 'local', dir: '/srv/backups' });
    expect(store).toBeInstanceOf(LocalBackupStore);
    expect(store.kind).toBe('local');
  });

  it('builds an S3 store, with the SDK credential chain when no keys are given', () => {
    const store = createBackupStore({ kind: 's3', bucket: 'b', region: 'eu-west-1' });
    expect(store).toBeInstanceOf(S3BackupStore);
    expect(store.kind).toBe('s3');
    (store as S3BackupStore).destroy();
  });

  it('refuses a prefix with a dot segment with VALIDATION_FAILED', () => {
    expect(() => createBackupStore({ kind: 's3', bucket: 'b', prefix: '../other/' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }) as unknown,
    );
  });
});
