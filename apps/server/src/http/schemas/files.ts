import { Type } from '@sinclair/typebox';
import { FILE_SORTS } from '@minefleet/services/files/files-service';
import { TEXT_ENCODINGS } from '@minefleet/services/files/text-encoding';
import { StringEnum, Timestamp, Uuid } from './common.js';

/**
 * A path in the server's folder, `/`-separated, relative to the folder ('' is the folder itself). The
 * schema only bounds its length; the files service refuses everything else that could leave the folder.
 */
export const FilePath = Type.String({
  maxLength: 4096,
  description: 'Path relative to the server folder, `/` between folders ("" or "." is the folder).',
});

export const FileType = StringEnum(['file', 'directory', 'symlink', 'other'] as const);

export const FileEntry = Type.Object(
  {
    name: Type.String(),
    path: Type.String(),
    type: FileType,
    size: Type.Integer({ minimum: 0 }),
    mtime: Timestamp,
    mode: Type.String({ description: 'Permission bits in octal, e.g. "644".' }),
    protection: Type.Union([StringEnum(['read-only'] as const), Type.Null()], {
      description: '`read-only`: written by the platform from the server settings.',
    }),
  },
  { $id: 'FileEntry' },
);

export const FileList = Type.Object({
  path: Type.String(),
  entries: Type.Array(Type.Unsafe({ $ref: 'FileEntry' })),
  pagination: Type.Object({
    page: Type.Integer({ minimum: 1 }),
    per_page: Type.Integer({ minimum: 1 }),
    total: Type.Integer({ minimum: 0 }),
  }),
});

export const FileListQuery = Type.Object({
  path: Type.Optional(FilePath),
  sort: Type.Optional(StringEnum(FILE_SORTS, { description: 'Folders always come first.' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const PathQuery = Type.Object({ path: FilePath });

export const TextFile = Type.Object(
  {
    path: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    mtime: Timestamp,
    etag: Type.String({ description: 'Send it back as If-Match to save.' }),
    binary: Type.Boolean({ description: 'True: not text; `content` is null, download it instead.' }),
    content: Type.Union([Type.String(), Type.Null()]),
    encoding: Type.Union([StringEnum(TEXT_ENCODINGS), Type.Null()]),
  },
  { $id: 'TextFile' },
);

export const WriteBody = Type.Object({
  content: Type.String({ maxLength: 16 * 1024 * 1024 }),
  encoding: Type.Optional(
    StringEnum(TEXT_ENCODINGS, { description: 'Default: the encoding the file has (UTF-8 for a new file).' }),
  ),
});

export const WriteHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ maxLength: 200, description: 'The ETag read; `*` replaces whatever is there.' }),
  ),
  'if-none-match': Type.Optional(Type.Literal('*', { description: '`*`: create only.' })),
});

export const PathBody = Type.Object({ path: FilePath });
export const MoveBody = Type.Object({
  from: FilePath,
  to: FilePath,
  overwrite: Type.Optional(Type.Boolean({ default: false })),
});
export const CopyBody = Type.Object({ from: FilePath, to: FilePath });
export const ChmodBody = Type.Object({
  path: FilePath,
  mode: Type.String({ pattern: '^[0-7]{3}$', description: 'Octal, e.g. "644" or "755".' }),
});

export const TrashItem = Type.Object(
  {
    id: Uuid,
    path: Type.String(),
    type: FileType,
    size: Type.Integer({ minimum: 0 }),
    deleted_at: Timestamp,
    expires_at: Timestamp,
    deleted_by: Uuid,
  },
  { $id: 'TrashItem' },
);
export const TrashParams = Type.Object({ id: Uuid, item_id: Uuid });
export const RestoreBody = Type.Object({
  path: Type.Optional(Type.Union([FilePath], { description: 'Where to put it (default: where it was).' })),
});

export const FileVersion = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String(),
    saved_at: Timestamp,
    saved_by: Type.Union([Uuid, Type.Null()], {
      description: 'Null: the content found before the first edit.',
    }),
  },
  { $id: 'FileVersion' },
);
export const VersionParams = Type.Object({
  id: Uuid,
  version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});
export const VersionContent = Type.Object({
  path: Type.String(),
  version: Type.Integer(),
  etag: Type.String(),
  content: Type.Union([Type.String(), Type.Null()]),
  encoding: Type.Union([StringEnum(TEXT_ENCODINGS), Type.Null()]),
});

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 200 }),
  path: Type.Optional(FilePath),
  content: Type.Optional(Type.Boolean({ default: false, description: 'Search the text of files too.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export const SearchResult = Type.Object({
  hits: Type.Array(
    Type.Object({
      path: Type.String(),
      type: FileType,
      size: Type.Integer(),
      line: Type.Optional(Type.Integer()),
      preview: Type.Optional(Type.String()),
    }),
  ),
  truncated: Type.Boolean({ description: 'A bound (results, files, bytes or time) stopped the search.' }),
  visited: Type.Integer(),
});
